-- Visits (入户核查) with their findings, and content-addressed blobs.
CREATE TABLE visits (
    id                 TEXT PRIMARY KEY NOT NULL,   -- the phone's visit_id: the idempotency key
    household_id       TEXT NOT NULL REFERENCES households (id),
    division_code      TEXT NOT NULL,               -- the household's village, for scoped queries
    level              TEXT NOT NULL,
    inspector_user_id  TEXT NOT NULL REFERENCES users (id),  -- 谁检查: the signed-in user
    inspector_username TEXT NOT NULL,
    body_sha256        TEXT NOT NULL,               -- of the canonical JSON
    document           TEXT NOT NULL,               -- canonical JSON as received
    verified_on_site   BOOLEAN NOT NULL,
    rule_version       TEXT NOT NULL,
    started_at         TIMESTAMP NOT NULL,
    ended_at           TIMESTAMP NOT NULL,
    received_at        TIMESTAMP NOT NULL,
    review             TEXT NOT NULL,               -- unreviewed | approved | rejected
    replaces           TEXT,
    superseded_by      TEXT,
    seq                BIGINT NOT NULL,             -- commit order, for paging (counter 'visit_seq')
    review_note        TEXT,                        -- the supervisor's note with the decision
    reviewed_by        TEXT,
    reviewed_at        TIMESTAMP,
    net_income_fen     BIGINT NOT NULL,             -- computed at ingest, for exports and progress
    budget_members     INTEGER NOT NULL             -- members sharing the budget (n)
);
CREATE INDEX visits_household ON visits (household_id, level);
CREATE UNIQUE INDEX visits_seq ON visits (seq);
CREATE INDEX visits_division ON visits (division_code, seq);
INSERT INTO counters (name, value) VALUES ('visit_seq', 0);

CREATE TABLE findings (
    id            TEXT PRIMARY KEY NOT NULL,
    visit_id      TEXT REFERENCES visits (id),      -- NULL for a resident's report from the QR page
    household_id  TEXT NOT NULL REFERENCES households (id),
    division_code TEXT NOT NULL,
    position      INTEGER NOT NULL,                 -- order within the visit
    code          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    field         TEXT,
    member_no     INTEGER,
    status        TEXT NOT NULL,                    -- open | rectified | closed
    rule_version  TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    seq           BIGINT NOT NULL                   -- creation order, for paging (counter 'finding_seq')
);
CREATE INDEX findings_visit ON findings (visit_id, position);
CREATE UNIQUE INDEX findings_seq ON findings (seq);
CREATE INDEX findings_division ON findings (division_code, seq);
CREATE INDEX findings_household ON findings (household_id);
INSERT INTO counters (name, value) VALUES ('finding_seq', 0);

CREATE TABLE blobs (
    sha256       TEXT PRIMARY KEY NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE visit_blobs (
    visit_id TEXT NOT NULL REFERENCES visits (id),
    sha256   TEXT NOT NULL,
    PRIMARY KEY (visit_id, sha256)
);
CREATE INDEX visit_blobs_sha256 ON visit_blobs (sha256);
