CREATE TABLE visit_blobs_by_id (
    visit_id TEXT NOT NULL REFERENCES visits (id),
    sha256   TEXT NOT NULL,
    PRIMARY KEY (visit_id, sha256)
);
INSERT INTO visit_blobs_by_id (visit_id, sha256)
    SELECT v.id, b.sha256 FROM visit_blobs b JOIN visits v ON v.seq = b.visit_seq;
DROP TABLE visit_blobs;
ALTER TABLE visit_blobs_by_id RENAME TO visit_blobs;
CREATE INDEX visit_blobs_sha256 ON visit_blobs (sha256);
