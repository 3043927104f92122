DROP INDEX findings_progress;
DROP INDEX visits_progress;
