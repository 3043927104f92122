DROP TABLE visit_blobs;
DROP TABLE blobs;
DROP TABLE findings;
DROP TABLE visits;
