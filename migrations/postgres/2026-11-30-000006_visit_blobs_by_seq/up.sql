-- A visit's images are linked by the visit's commit-order seq, not by the phone's
-- random visit id: a group commit's new links then append to the key instead of
-- landing on random pages of an index.
CREATE TABLE visit_blobs_by_seq (
    visit_seq BIGINT NOT NULL REFERENCES visits (seq),
    sha256    TEXT NOT NULL,
    PRIMARY KEY (visit_seq, sha256)
);
INSERT INTO visit_blobs_by_seq (visit_seq, sha256)
    SELECT v.seq, b.sha256 FROM visit_blobs b JOIN visits v ON v.id = b.visit_id;
DROP TABLE visit_blobs;
ALTER TABLE visit_blobs_by_seq RENAME TO visit_blobs;
ALTER INDEX visit_blobs_by_seq_pkey RENAME TO visit_blobs_pkey;
CREATE INDEX visit_blobs_sha256 ON visit_blobs (sha256);
