-- A plain-SQL dump of production at the fork point (revision 018), as psql restores it.
\set ON_ERROR_STOP on
SET client_encoding = 'UTF8';

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE public.players (
    id serial PRIMARY KEY,
    name character varying(80) NOT NULL,
    number integer
);
CREATE TABLE public.teams (
    id serial PRIMARY KEY,
    name character varying(80) NOT NULL
);
CREATE TABLE public.coaches (
    id serial PRIMARY KEY,
    team_id integer REFERENCES public.teams (id)
);

COPY public.teams (id, name) FROM stdin;
1	Hawks
2	Foxes
\.
COPY public.players (id, name, number) FROM stdin;
1	Ada	7
2	Ben	\N
\.
SELECT pg_catalog.setval('public.teams_id_seq', 2, true);
SELECT pg_catalog.setval('public.players_id_seq', 2, true);
INSERT INTO public.alembic_version (version_num) VALUES ('018');
