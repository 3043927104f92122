//! The `sancha` command line: serve, migrate, user, import (households, visits), cards.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use actix_web::web;
use clap::{Parser, Subcommand};

use crate::db::users;
use crate::{api, demo, import, outbox, AppState, Config};

#[derive(Parser)]
#[command(
    name = "sancha",
    version,
    about = "三查一访 household verification backend"
)]
struct Cli {
    /// Where the embedded SQLite database and the JWT secret live.
    #[arg(
        long,
        env = "SANCHA_DATA_DIR",
        default_value = "./sancha-data",
        global = true
    )]
    data_dir: PathBuf,
    /// postgres://user:pass@host/db to use PostgreSQL instead of the embedded SQLite.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Where photos and signatures are stored: file://DIR (default: DATA_DIR/blobs) or
    /// s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=NAME, with the credentials in
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Every replica must name the same store.
    #[arg(long, env = "SANCHA_BLOB_URL", global = true)]
    blob_url: Option<String>,
    /// What the cards' QR codes point at: `{URL}/c/{token}` (the resident's page).
    /// Default: `https://{bind}` when serving HTTPS, else http://127.0.0.1:8080.
    #[arg(long, env = "SANCHA_PUBLIC_BASE_URL", global = true)]
    public_base_url: Option<String>,
    /// A CJK font (.otf/.ttf/.ttc) for the cards instead of the embedded GBK subset of Noto Sans CJK SC.
    #[arg(long, env = "SANCHA_CARD_FONT", global = true)]
    font: Option<PathBuf>,
    /// How long a phone enrolment code (手机登记码) works, in hours.
    #[arg(
        long,
        env = "SANCHA_ENROLMENT_TTL_HOURS",
        default_value_t = 24,
        global = true
    )]
    enrolment_ttl_hours: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SANCHA_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Seed a demo county into an empty database: regions, ~500 households, users, and a campaign in progress (visits, findings, a sample).
        #[arg(long)]
        demo: bool,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "SANCHA_WORKERS")]
        workers: Option<usize>,
        /// A TOML file overriding checklist thresholds (keys of GET /api/v1/rules).
        #[arg(long, env = "SANCHA_RULES")]
        rules: Option<PathBuf>,
        /// Serve HTTPS with this PEM certificate chain (the server's certificate first); needs --tls-key.
        #[arg(long, env = "SANCHA_TLS_CERT", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key (PKCS#8, RSA or EC) of --tls-cert.
        #[arg(long, env = "SANCHA_TLS_KEY", value_name = "FILE")]
        tls_key: Option<PathBuf>,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Copy the embedded (SQLite) database to FILE while the server runs, with the list of stored images.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup made by `sancha backup` into an empty data dir.
    Restore { file: PathBuf },
    /// Photos and signatures in the blob store.
    Blobs {
        #[command(subcommand)]
        command: BlobsCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import data from files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Print the 明白卡 of every household in a region: a village as one PDF,
    /// a town or larger as a ZIP of one PDF per village.
    Cards {
        /// Region code (12 digits or its significant prefix).
        #[arg(long)]
        scope: String,
        /// The PDF (a village) or ZIP (a larger region) to write.
        #[arg(long)]
        out: PathBuf,
        /// a6x4: four A6 cards per A4 page with cut marks; a4: one card per page.
        #[arg(long, default_value = "a6x4")]
        layout: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input, never from the command line.
    Add {
        #[arg(long)]
        username: String,
        /// enumerator | village_office | supervisor | admin
        #[arg(long)]
        role: String,
        /// Region code (12 digits or its significant prefix) the user works in.
        #[arg(long)]
        scope: String,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable a user and revoke their refresh tokens.
    Disable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum BlobsCommand {
    /// Copy every stored image from the current store (--blob-url) to another, checking
    /// each SHA-256; images the target has already are skipped, so it resumes and can run again.
    Migrate {
        /// The target store: file://DIR or s3://BUCKET[/PREFIX]?endpoint=…&region=…
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Households from .csv (UTF-8, BOM optional) or .xlsx, one row per member.
    Households {
        file: PathBuf,
        /// Check every row and report, but store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Visits and their images from a field app's backup file (导出备份, sancha.outbox.v1),
    /// each stored exactly as PUT /api/v1/visits/{visit_id} and PUT /api/v1/blobs/{sha256} would.
    Visits {
        file: PathBuf,
        /// Submit as this user instead of the file's `username` (an existing, enabled user).
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A line to stdout. A closed stdout (a supervisor that stopped reading)
/// must not bring the server down, so write errors are ignored.
pub fn say(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The QR codes' base URL when none is given on a plain-HTTP server or a command
/// other than `serve`.
const DEFAULT_PUBLIC_BASE_URL: &str = "http://127.0.0.1:8080";

fn run(cli: Cli) -> Result<(), String> {
    let public_base_url = cli.public_base_url;
    let config = Config {
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        blob_url: cli.blob_url,
        jwt_secret: std::env::var("SANCHA_JWT_SECRET").ok(),
        jwt_previous_secret: std::env::var("SANCHA_JWT_PREVIOUS_SECRET").ok(),
        workers: None,
        rules_file: None,
        public_base_url: public_base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_PUBLIC_BASE_URL.into()),
        card_font: cli.font,
        enrolment_ttl_hours: cli.enrolment_ttl_hours,
    };
    match cli.command {
        Command::Serve {
            bind,
            demo: seed_demo,
            workers,
            rules,
            tls_cert,
            tls_key,
        } => {
            // Read before anything else: a bad certificate stops the start at once.
            let tls = match crate::tls::paths(tls_cert.as_deref(), tls_key.as_deref())? {
                Some((cert, key)) => Some(crate::tls::load(cert, key)?),
                None => None,
            };
            let public_base_url = match (public_base_url, &tls) {
                (Some(url), _) => url,
                (None, Some(_)) => format!("https://{bind}"),
                (None, None) => DEFAULT_PUBLIC_BASE_URL.into(),
            };
            serve(
                Config {
                    workers,
                    rules_file: rules,
                    public_base_url,
                    ..config
                },
                &bind,
                seed_demo,
                tls,
            )
        }
        Command::Migrate => AppState::open(&config).map(|s| {
            println!(
                "数据库已是最新 / schema up to date ({})",
                s.db.backend().as_str()
            )
        }),
        Command::Backup { out } => {
            let report =
                crate::backup::backup(config.database_url.as_deref(), &config.data_dir, &out)?;
            println!("{report}");
            Ok(())
        }
        Command::Restore { file } => {
            let report =
                crate::backup::restore(config.database_url.as_deref(), &config.data_dir, &file)?;
            // Opening brings a backup from an older release up to date.
            AppState::open(&config)?;
            println!("{report}");
            Ok(())
        }
        Command::Blobs {
            command: BlobsCommand::Migrate { to },
        } => migrate_blobs(&config, &to),
        Command::User { command } => user(&config, command),
        Command::Cards { scope, out, layout } => cards(&config, &scope, &out, &layout),
        Command::Import {
            command: ImportCommand::Households { file, dry_run },
        } => {
            let state = AppState::open(&config)?;
            let report = import::households_file(&state.db, &file, dry_run)?;
            state.db.analyze().map_err(|e| e.to_string())?;
            println!("{report}");
            if report.errors.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} 行有误，未导入任何数据 / rows with errors, nothing imported",
                    report.errors.len()
                ))
            }
        }
        Command::Import {
            command: ImportCommand::Visits { file, as_user },
        } => {
            // The file is read and checked before the database is opened.
            let backup = outbox::read(&file)?;
            let state = AppState::open(&config)?;
            let report = outbox::load(&state, backup, as_user.as_deref())?;
            println!("{report}");
            if report.is_clean() {
                Ok(())
            } else {
                Err(format!(
                    "{} 项未入库（见上）/ items not stored (listed above)",
                    report.refused.len()
                ))
            }
        }
    }
}

fn serve(
    config: Config,
    bind: &str,
    seed_demo: bool,
    tls: Option<rustls::ServerConfig>,
) -> Result<(), String> {
    let state = AppState::open(&config)?;
    let seeded = seed_demo && demo::seed_if_empty(&state.db, &state.rules)?;
    if seeded {
        state.db.analyze().map_err(|e| e.to_string())?;
    }
    let listener = TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base = format!("{}://{addr}", if tls.is_some() { "https" } else { "http" });
    tracing::info!(%base, db = state.db.backend().as_str(), "sancha listening");
    say(format!(
        "sancha 正在监听 / listening on {base} ({})",
        state.db.backend().as_str()
    ));
    if seeded {
        demo::print_welcome(&base);
    } else if seed_demo {
        say(
            "数据库已有数据，未写入演示数据 / the database is not empty: demo data not seeded"
                .into(),
        );
    }
    let workers = config.workers;
    actix_web::rt::System::new().block_on(async move {
        crate::server_tls(listener, web::Data::new(state), workers, tls)
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())
    })
}

fn migrate_blobs(config: &Config, to: &str) -> Result<(), String> {
    let state = AppState::open(config)?;
    let from = crate::blobs::BlobUrl::parse(config.blob_url.as_deref(), &config.data_dir)?;
    let target = crate::blobs::BlobUrl::parse(Some(to), &config.data_dir)?;
    if target == from {
        return Err(format!("--to names the current store ({from})"));
    }
    say(format!("复制图片 / copying images: {from} → {target}"));
    let to = target.open()?;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} 张 {elapsed_precise} 剩余 {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let logged = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = crate::migrate_blobs::migrate(
        &state.db,
        state.blobs.as_ref(),
        to.as_ref(),
        |done, total| {
            bar.set_length(total);
            bar.set_position(done);
            // Without a terminal (cron, a log file) a line per thousand images.
            if logged && (done % 1000 == 0 || done == total) {
                eprintln!("{done}/{total}");
            }
        },
    );
    bar.finish_and_clear();
    let report = report?;
    println!("{report}");
    if report.is_clean() {
        Ok(())
    } else {
        Err("有图片未能复制（见上）/ some images were not copied (listed above)".into())
    }
}

fn user(config: &Config, command: UserCommand) -> Result<(), String> {
    let state = AppState::open(config)?;
    match command {
        UserCommand::Add {
            username,
            role,
            scope,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| format!("cannot read password: {e}"))?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let body = api::UserBody {
                username,
                password,
                role,
                scope,
            };
            let new = api::check_new_user(body).map_err(|e| describe(&e))?;
            let view = state
                .db
                .write_blocking(|c| users::create(c, new, "cli"))
                .map_err(|e| describe(&e))?;
            println!(
                "已创建用户 / created user {} ({}, scope {})",
                view.username, view.role, view.scope
            );
            Ok(())
        }
        UserCommand::Disable { username } => {
            state
                .db
                .write_blocking(|c| users::set_disabled(c, &username, true, "cli"))
                .map_err(|e| describe(&e))?;
            println!("已停用 / disabled {username}");
            Ok(())
        }
    }
}

fn cards(config: &Config, scope: &str, out: &std::path::Path, layout: &str) -> Result<(), String> {
    use crate::domain::{RegionCode, RegionLevel};
    let layout: sancha_cardgen::Layout = match layout {
        "a6x4" => sancha_cardgen::Layout::A6x4,
        "a4" => sancha_cardgen::Layout::A4,
        other => return Err(format!("未知版式 / unknown layout {other:?} (a6x4 | a4)")),
    };
    let scope = RegionCode::parse(scope)
        .ok_or_else(|| format!("无效的区划代码 / not a region code: {scope}"))?;
    let state = AppState::open(config)?;
    let started = std::time::Instant::now();
    let (villages, run) = {
        let scope = scope.clone();
        state
            .db
            .read_blocking(move |c| {
                Ok((
                    crate::db::households::villages(c, &scope)?,
                    crate::db::cards::versions_in(c, &scope)?,
                ))
            })
            .map_err(|e| describe(&e))?
    };
    if villages.is_empty() {
        return Err(format!(
            "{} 下没有农户 / no households under {}",
            scope.as_str(),
            scope.as_str()
        ));
    }
    let job = crate::print::PrintRun::new(
        state.db.clone(),
        state.cards.clone(),
        state.rules.clone(),
        state.card_font,
        layout,
    );
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(run.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} 户 {elapsed_precise} 剩余 {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut total = sancha_cardgen::Report::default();
    let mut tally = |r: &sancha_cardgen::Report| {
        bar.inc(r.cards as u64);
        total.cards += r.cards;
        total.pages += r.pages;
        total
            .missing_glyphs
            .extend(r.missing_glyphs.iter().cloned());
    };
    let file =
        std::fs::File::create(out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let mut file = std::io::BufWriter::new(file);
    if scope.level() == RegionLevel::Village {
        let (_, bytes, report) = job.village(scope.as_str()).map_err(|e| describe(&e))?;
        std::io::Write::write_all(&mut file, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        tally(&report);
    } else {
        job.write_zip(&villages, &mut file, &mut tally)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    std::io::Write::flush(&mut file).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    bar.finish_and_clear();
    state
        .db
        .write_blocking(|c| {
            crate::db::cards::record_print(
                c,
                "cli",
                scope.as_str(),
                scope.as_str(),
                &layout.to_string(),
                &run,
            )
        })
        .map_err(|e| describe(&e))?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    for m in &total.missing_glyphs {
        eprintln!(
            "缺字 / missing glyphs: {} {}",
            m.serial,
            m.chars.iter().collect::<String>()
        );
    }
    println!(
        "{} 张卡, {} 页, {} 字节, {:.1} 秒, {} 户缺字 / cards, pages, bytes, seconds, households with missing glyphs → {}",
        total.cards,
        total.pages,
        bytes,
        started.elapsed().as_secs_f64(),
        total.missing_glyphs.len(),
        out.display()
    );
    Ok(())
}

/// An API error as one line for the terminal.
fn describe(e: &crate::error::ApiError) -> String {
    let lang = crate::error::Lang::Zh;
    let mut s = e.code.message(lang).to_string();
    for f in &e.errors {
        s.push_str(&format!(
            "; {} {}（{}）",
            f.field,
            f.code.message(lang),
            f.code.as_str()
        ));
    }
    s
}
