DELETE FROM counters WHERE name = 'readyz';
DROP TABLE token_probes;
