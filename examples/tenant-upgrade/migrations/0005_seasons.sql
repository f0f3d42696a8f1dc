CREATE TABLE seasons (
    id INTEGER PRIMARY KEY,
    starts_on TEXT NOT NULL
);
