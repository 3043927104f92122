DROP TABLE sample_households;
DROP TABLE samples;
DROP INDEX audit_scope;
ALTER TABLE audit_log DROP COLUMN scope;
