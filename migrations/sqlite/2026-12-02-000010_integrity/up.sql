-- Visit integrity (防造假): what the cross-visit rules look up at ingest.
-- A visit's position and the fingerprint of its answers, read back by the
-- same inspector's later visits through one index each. The first index
-- holds all that the neighbouring-visit and day lookups read, so they never
-- touch the rows (whose documents make them long).
ALTER TABLE visits ADD COLUMN geo_lat DOUBLE PRECISION;
ALTER TABLE visits ADD COLUMN geo_lon DOUBLE PRECISION;
ALTER TABLE visits ADD COLUMN answers_sha256 TEXT;  -- revisit answers, quality, income
CREATE INDEX visits_inspector_started
    ON visits (inspector_user_id, started_at, household_id, ended_at, geo_lat, geo_lon);
CREATE INDEX visits_inspector_answers ON visits (inspector_user_id, answers_sha256, household_id);

-- Each stored image's 64-bit difference hash (dHash), cut into four 16-bit
-- bands: two hashes within 7 bits of each other agree on one band to within
-- one bit, so the near duplicates of a photo are found by index lookups.
CREATE TABLE image_hashes (
    sha256 TEXT PRIMARY KEY NOT NULL REFERENCES blobs (sha256),
    dhash  BIGINT NOT NULL,
    band0  INTEGER NOT NULL,
    band1  INTEGER NOT NULL,
    band2  INTEGER NOT NULL,
    band3  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX image_hashes_band0 ON image_hashes (band0);
CREATE INDEX image_hashes_band1 ON image_hashes (band1);
CREATE INDEX image_hashes_band2 ON image_hashes (band2);
CREATE INDEX image_hashes_band3 ON image_hashes (band3);

-- How a sample was drawn: random (the default) or toward the risk.
ALTER TABLE samples ADD COLUMN strategy TEXT NOT NULL DEFAULT 'random';
ALTER TABLE samples ADD COLUMN risk_picked INTEGER NOT NULL DEFAULT 0;
