CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX ix_tokens_user_id ON tokens (user_id);
CREATE UNIQUE INDEX ix_tokens_token ON tokens (token);
CREATE TABLE authorization_codes (
    code TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL
);
CREATE INDEX ix_authorization_codes_user_id ON authorization_codes (user_id);
