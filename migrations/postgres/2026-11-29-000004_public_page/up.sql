-- The resident's QR page: tokens of replaced cards (their page says the card
-- is void), and problems residents report from the page.
CREATE TABLE retired_tokens (
    token        TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    card_version INTEGER NOT NULL,              -- the version the old card carried
    retired_at   TIMESTAMP NOT NULL
);

CREATE TABLE feedback (
    id           TEXT PRIMARY KEY NOT NULL,
    reference    TEXT NOT NULL UNIQUE,          -- shown to the resident, e.g. "FK7Q2M9X"
    household_id TEXT NOT NULL REFERENCES households (id),
    finding_id   TEXT NOT NULL REFERENCES findings (id),
    token        TEXT NOT NULL,                 -- the card token it came through
    client_key   TEXT NOT NULL,                 -- keyed hash of the client address, for limits only
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL,                 -- private from now on
    contact      TEXT,                          -- private from now on
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX feedback_token ON feedback (token, created_at);
CREATE INDEX feedback_client ON feedback (client_key, created_at);
