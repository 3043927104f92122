//! sancha (三查): the backend of the 三查一访 household verification
//! campaign. See `ARCHITECTURE.md` for the map of the crate.

pub mod api;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod cards;
pub mod checklist;
pub mod cli;
pub mod clock;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod fuzzing;
pub mod import;
pub mod migrate_blobs;
pub mod outbox;
pub mod print;
pub mod public;
pub mod screens;
pub mod stream;
pub mod tls;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{middleware, web, App, HttpServer};

/// How the server is set up: flags and environment, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Where photos and signatures go ([`blobs::BlobUrl`]); files under the data dir by default.
    pub blob_url: Option<String>,
    pub jwt_secret: Option<String>,
    /// A second key still (or already) accepted while replicas roll to a new secret.
    pub jwt_previous_secret: Option<String>,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// A TOML file overriding checklist thresholds.
    pub rules_file: Option<PathBuf>,
    /// What card QR codes point at: `{public_base_url}/c/{token}`.
    pub public_base_url: String,
    /// A fuller CJK font for the cards than the embedded GBK subset.
    pub card_font: Option<PathBuf>,
    /// How long an enrolment code works (default 24 hours).
    pub enrolment_ttl_hours: u32,
}

/// What every handler shares.
pub struct AppState {
    pub db: db::Db,
    pub jwt: auth::JwtKeys,
    pub metrics: Arc<api::metrics::Metrics>,
    /// The active checklist thresholds.
    pub rules: Arc<checklist::RuleConfig>,
    pub blobs: Arc<dyn blobs::BlobStore>,
    pub cards: cards::CardSettings,
    /// Parsed once; lives as long as the process.
    pub card_font: &'static sancha_cardgen::Font,
    /// Which enrolled phones are revoked, as last read ([`auth::Revocations`]).
    pub revocations: Arc<auth::Revocations>,
    /// How long an enrolment code (手机登记码) works.
    pub enrolment_ttl: chrono::Duration,
}

impl AppState {
    /// Opens (and migrates) the database and loads the signing key.
    pub fn open(config: &Config) -> Result<AppState, String> {
        let target = db::Target::parse(config.database_url.as_deref(), &config.data_dir)?;
        let db = db::Db::open(&target)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("cannot create data dir {}: {e}", config.data_dir.display()))?;
        let jwt = auth::JwtKeys::load_or_create(config.jwt_secret.as_deref(), &config.data_dir)?
            .accepting(config.jwt_previous_secret.as_deref())?;
        let rules = match &config.rules_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                checklist::RuleConfig::from_toml_str(&text)
                    .map_err(|e| format!("rule file {}: {e}", path.display()))?
            }
            None => checklist::RuleConfig::default(),
        };
        let blobs = blobs::BlobUrl::parse(config.blob_url.as_deref(), &config.data_dir)?.open()?;
        let check_key = db
            .write_blocking(db::cards::check_key)
            .map_err(|e| format!("cannot read the card key: {e:?}"))?;
        let cards = cards::CardSettings {
            public_base_url: config.public_base_url.clone(),
            check_key,
        };
        let card_font = match &config.card_font {
            Some(path) => {
                let font = sancha_cardgen::Font::from_file(path)
                    .map_err(|e| format!("card font {}: {e}", path.display()))?;
                &*Box::leak(Box::new(font))
            }
            None => sancha_cardgen::Font::embedded(),
        };
        Ok(AppState {
            db,
            jwt,
            metrics: Arc::default(),
            rules: Arc::new(rules),
            blobs,
            cards,
            card_font,
            revocations: Arc::default(),
            enrolment_ttl: chrono::Duration::hours(config.enrolment_ttl_hours.into()),
        })
    }
}

/// Serves the API on `listener` until the server is stopped. `main` and the
/// end-to-end tests both start the server through here (or [`server_tls`]).
pub fn server(
    listener: TcpListener,
    state: web::Data<AppState>,
    workers: Option<usize>,
) -> std::io::Result<actix_web::dev::Server> {
    server_tls(listener, state, workers, None)
}

/// [`server`], speaking HTTPS on `listener` when given a TLS configuration
/// ([`tls::load`]), plain HTTP without one.
pub fn server_tls(
    listener: TcpListener,
    state: web::Data<AppState>,
    workers: Option<usize>,
    tls: Option<rustls::ServerConfig>,
) -> std::io::Result<actix_web::dev::Server> {
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(middleware::from_fn(api::finish))
            .configure(api::configure)
            .default_service(web::to(screens::serve))
    })
    // Explicit limits: a client has 10 s to send its request head, 2 s to
    // close after an answer, and may keep an idle connection 30 s; bodies
    // have their own size limits and a two-minute deadline (api::json).
    .client_request_timeout(std::time::Duration::from_secs(10))
    .client_disconnect_timeout(std::time::Duration::from_secs(2))
    .keep_alive(std::time::Duration::from_secs(30));
    server = match tls {
        Some(config) => server.listen_rustls_0_23(listener, config)?,
        None => server.listen(listener)?,
    };
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}
