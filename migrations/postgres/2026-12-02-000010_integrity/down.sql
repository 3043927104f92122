ALTER TABLE samples DROP COLUMN risk_picked;
ALTER TABLE samples DROP COLUMN strategy;
DROP TABLE image_hashes;
DROP INDEX visits_inspector_answers;
DROP INDEX visits_inspector_started;
ALTER TABLE visits DROP COLUMN answers_sha256;
ALTER TABLE visits DROP COLUMN geo_lon;
ALTER TABLE visits DROP COLUMN geo_lat;
