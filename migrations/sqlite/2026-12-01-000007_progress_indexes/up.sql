-- 工作台 (GET /progress) counts, per village, the households with a standing
-- visit at each level and the findings by status and severity. These indexes
-- hold every column those grouped queries read, so a city's progress scans
-- index entries instead of fetching every visit and finding row.
CREATE INDEX visits_progress ON visits (division_code, level, superseded_by, review, household_id);
CREATE INDEX findings_progress ON findings (division_code, status, severity, household_id);
