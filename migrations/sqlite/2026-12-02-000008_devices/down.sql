DROP INDEX refresh_tokens_device;
ALTER TABLE refresh_tokens DROP COLUMN device_id;
DROP TABLE enrolment_failures;
DROP TABLE devices;
DROP TABLE enrolments;
