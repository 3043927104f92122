-- Server-wide settings made once and kept, e.g. the key behind the cards'
-- check codes (a printed card must keep matching its QR page across restarts).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
