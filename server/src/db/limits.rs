//! Limits that every replica enforces as one: the QR page's reports per card
//! and per client, its guard against clients guessing card tokens, failed
//! sign-ins and failed phone enrolments.
//!
//! Each decision (count, then record) runs in one write transaction that
//! first takes the limit's key with [`serialize_on`]. On PostgreSQL that is a
//! transaction-scoped advisory lock, so deciders on any number of servers
//! queue on the key and each sees the rows of those before it; SQLite has one
//! writer at a time already (and one server per database file).

use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::token_probes;
use super::{now, AnyConnection};
use crate::error::ApiError;

/// Holds the limit `key` until the transaction ends (PostgreSQL).
pub fn serialize_on(conn: &mut AnyConnection, key: &str) -> Result<(), ApiError> {
    if let AnyConnection::Postgresql(c) = conn {
        let digest = Sha256::digest(key.as_bytes());
        let id = i64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(c)?;
    }
    Ok(())
}

/// The window of the token guard.
pub const PROBE_WINDOW_SECS: i64 = 60;

fn distinct_probes(conn: &mut AnyConnection, client_key: &str) -> Result<i64, ApiError> {
    let since = now() - Duration::seconds(PROBE_WINDOW_SECS);
    Ok(token_probes::table
        .filter(token_probes::client_key.eq(client_key))
        .filter(token_probes::at.gt(since))
        .select(diesel::dsl::count(token_probes::token_key).aggregate_distinct())
        .get_result(conn)?)
}

/// Whether the client has tried `limit` distinct unknown tokens this minute.
pub fn probes_exhausted(
    conn: &mut AnyConnection,
    client_key: &str,
    limit: i64,
) -> Result<bool, ApiError> {
    Ok(distinct_probes(conn, client_key)? >= limit)
}

/// Counts an unknown token the client tried: `false`, and nothing recorded,
/// when it had tried `limit` distinct ones this minute already. A client's
/// rows older than the window go at the same time.
pub fn probe(
    conn: &mut AnyConnection,
    client_key: &str,
    token_key: &str,
    limit: i64,
) -> Result<bool, ApiError> {
    serialize_on(conn, &format!("probe:{client_key}"))?;
    let t = now();
    diesel::delete(
        token_probes::table
            .filter(token_probes::client_key.eq(client_key))
            .filter(token_probes::at.le(t - Duration::seconds(PROBE_WINDOW_SECS))),
    )
    .execute(conn)?;
    if distinct_probes(conn, client_key)? >= limit {
        return Ok(false);
    }
    diesel::insert_into(token_probes::table)
        .values((
            token_probes::client_key.eq(client_key),
            token_probes::token_key.eq(token_key),
            token_probes::at.eq(t),
        ))
        .execute(conn)?;
    Ok(true)
}
