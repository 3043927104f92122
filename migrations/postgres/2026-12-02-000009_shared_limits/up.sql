-- Limits every replica enforces as one (db::limits). The QR page's guard
-- against clients guessing card tokens moves here from each process's memory:
-- one row per unknown token a client tried, keyed (never the address or the
-- token in clear), kept for the guard's minute.
CREATE TABLE token_probes (
    id         BIGSERIAL PRIMARY KEY,
    client_key TEXT NOT NULL,
    token_key  TEXT NOT NULL,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX token_probes_client_at ON token_probes (client_key, at);

-- GET /readyz proves the database takes a write by bumping this counter.
INSERT INTO counters (name, value) VALUES ('readyz', 0);
