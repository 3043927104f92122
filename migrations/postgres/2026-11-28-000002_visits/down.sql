DROP TABLE visit_blobs;
DROP TABLE blobs;
DROP TABLE findings;
DROP TABLE visits;
DELETE FROM counters WHERE name = 'visit_seq';
DELETE FROM counters WHERE name = 'finding_seq';
