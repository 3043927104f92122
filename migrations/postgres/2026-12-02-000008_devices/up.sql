-- Phones enrolled by QR code (手机登记). An enrolment code is made for one user,
-- stored only as its SHA-256, works once and expires; trading it makes a device,
-- whose refresh tokens carry its id, so revoking the device ends exactly its
-- sessions.
CREATE TABLE enrolments (
    code_hash  TEXT PRIMARY KEY NOT NULL,    -- sha256 of the code, hex
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL,                -- username of the office user
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    device_id  TEXT
);
CREATE INDEX enrolments_user ON enrolments (user_id);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    model        TEXT NOT NULL,
    enrolled_at  TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP,                  -- its last report
    app_version  TEXT,
    unsent       INTEGER,                    -- visits it still holds, as it last said
    last_sync_at TIMESTAMP,                  -- its own clock, as it last said
    revoked_at   TIMESTAMP,
    revoked_by   TEXT
);
CREATE INDEX devices_user ON devices (user_id);
CREATE INDEX devices_revoked ON devices (revoked_at);

-- Failed enrolment attempts per client address, for the throttle.
CREATE TABLE enrolment_failures (
    id     BIGSERIAL PRIMARY KEY,
    client TEXT NOT NULL,
    at     TIMESTAMP NOT NULL
);
CREATE INDEX enrolment_failures_client_at ON enrolment_failures (client, at);

ALTER TABLE refresh_tokens ADD COLUMN device_id TEXT;
CREATE INDEX refresh_tokens_device ON refresh_tokens (device_id);
