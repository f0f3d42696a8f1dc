CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL
);
