-- Supervision: the audit log read by region, samples of households for
-- supervisory visits.
ALTER TABLE audit_log ADD COLUMN scope TEXT;
CREATE INDEX audit_scope ON audit_log (scope, id);

CREATE TABLE samples (
    id            TEXT PRIMARY KEY NOT NULL,
    scope         TEXT NOT NULL,                 -- the region sampled
    level         TEXT NOT NULL,                 -- the supervisory level the sample is for
    rate_permille INTEGER NOT NULL,
    seed          BIGINT NOT NULL,
    excluded      INTEGER NOT NULL,              -- households left out: already two supervisory visits
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX samples_scope ON samples (scope, created_at);

CREATE TABLE sample_households (
    sample_id     TEXT NOT NULL REFERENCES samples (id),
    household_id  TEXT NOT NULL REFERENCES households (id),
    division_code TEXT NOT NULL,
    PRIMARY KEY (sample_id, household_id)
);
