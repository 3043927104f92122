-- Foundation: regions, the household roster, users, refresh tokens, audit log.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY NOT NULL,   -- 12-digit 统计用区划代码
    name        TEXT NOT NULL,
    parent_code TEXT,                        -- by code, NULL for a province
    level       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('household_sync', 0);

CREATE TABLE households (
    id              TEXT PRIMARY KEY NOT NULL,
    household_code  TEXT NOT NULL UNIQUE,
    division_code   TEXT NOT NULL REFERENCES regions (code),
    group_name      TEXT NOT NULL,
    registered_year INTEGER NOT NULL,
    poverty_status  TEXT NOT NULL,
    exit_year       INTEGER,
    attribute       TEXT NOT NULL,
    main_cause      TEXT NOT NULL,
    other_causes    TEXT NOT NULL,           -- JSON array of cause codes
    lat             DOUBLE PRECISION,
    lon             DOUBLE PRECISION,
    datum           TEXT,
    public_token    TEXT NOT NULL UNIQUE,
    card_version    INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    sync_seq        BIGINT NOT NULL UNIQUE,  -- commit order of the last change, for phone sync
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX households_division ON households (division_code, sync_seq);

CREATE TABLE household_members (
    household_id   TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    member_no      INTEGER NOT NULL,
    name           TEXT NOT NULL,
    id_type        TEXT NOT NULL,
    id_number      TEXT,
    relation       TEXT NOT NULL,
    sex            TEXT,
    birth_date     TEXT,
    pending_reason TEXT,
    PRIMARY KEY (household_id, member_no)
);
CREATE INDEX household_members_id_number ON household_members (id_number);

CREATE TABLE helpers (
    household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    unit         TEXT NOT NULL,
    title        TEXT NOT NULL,
    phone        TEXT NOT NULL,
    PRIMARY KEY (household_id, position)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope         TEXT NOT NULL,             -- 12-digit region code
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    version       INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,    -- sha256 of the token, hex
    user_id    TEXT NOT NULL REFERENCES users (id),
    issued_at  TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    revoked    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE login_failures (
    id       BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    at       TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username_at ON login_failures (username, at);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,               -- username, or "cli:<user>" / "system"
    entity      TEXT NOT NULL,               -- household | user | region
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    old_version INTEGER,
    new_version INTEGER,
    detail      TEXT NOT NULL                -- never personal data
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
