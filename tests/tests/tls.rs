//! HTTPS: `sancha serve --tls-cert --tls-key` as a county runs it, with a
//! certificate its own CA issued (made here at test time with rcgen), reached
//! by a client that trusts that CA and nothing else; and the starts that must
//! stop with a message instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::CertificateDer;
use sancha_tests::{server_binary, ServerProcess};

/// A county CA and a server certificate it issued for 127.0.0.1 and localhost.
struct Pki {
    ca: CertificateDer<'static>,
    /// The server's certificate, then the CA's: the chain file a server is given.
    chain: PathBuf,
    /// The server's key, PKCS#8 PEM.
    key: PathBuf,
}

fn county_ca() -> (CertificateDer<'static>, String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "彰武县 test CA");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().expect("CA key");
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert.der().clone(), cert.pem(), Issuer::new(params, key))
}

/// A server certificate for `key` (any key rcgen reads), issued by `ca`.
fn server_cert(ca: &Issuer<'static, KeyPair>, key: &KeyPair) -> String {
    let mut params = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("server params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sancha.test");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.signed_by(key, ca).expect("server certificate").pem()
}

fn make_pki(dir: &Path) -> Pki {
    let (ca, ca_pem, issuer) = county_ca();
    let key = KeyPair::generate().expect("server key");
    let chain = dir.join("chain.pem");
    std::fs::write(&chain, server_cert(&issuer, &key) + &ca_pem).expect("write chain");
    let key_file = dir.join("key.pem");
    std::fs::write(&key_file, key.serialize_pem()).expect("write key");
    Pki {
        ca,
        chain,
        key: key_file,
    }
}

/// A client that trusts `ca` alone (ureq's rustls, on ring as the server's).
fn client_trusting(ca: &CertificateDer<'static>) -> ureq::Agent {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).expect("add the CA");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    ureq::AgentBuilder::new()
        .tls_config(Arc::new(config))
        .timeout(std::time::Duration::from_secs(30))
        .build()
}

/// Whether `cargo test --workspace` built the binary beside this test (as crash.rs asks).
fn built() -> bool {
    let binary = server_binary();
    if !binary.exists() {
        eprintln!(
            "skipped: {} not built (cargo test --workspace builds it)",
            binary.display()
        );
    }
    binary.exists()
}

fn start_tls(data_dir: &Path, chain: &Path, key: &Path) -> ServerProcess {
    let (chain, key) = (chain.to_str().unwrap(), key.to_str().unwrap());
    ServerProcess::start(
        &server_binary(),
        data_dir,
        None,
        &["--workers", "1", "--tls-cert", chain, "--tls-key", key],
    )
}

#[test]
fn serves_https_with_a_certificate_chain_from_the_county_ca() {
    if !built() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = start_tls(&dir.path().join("data"), &pki.chain, &pki.key);
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "the start-up line names an https address: {}",
        server.base
    );
    let client = client_trusting(&pki.ca);

    let health: serde_json::Value = client
        .get(&format!("{}/healthz", server.base))
        .call()
        .expect("GET /healthz over HTTPS")
        .into_json()
        .expect("JSON");
    assert_eq!(health["status"], "ok");

    let page = client
        .get(&format!("{}/", server.base))
        .call()
        .expect("GET / over HTTPS");
    assert_eq!(page.status(), 200);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.into_string().unwrap().contains("三查一访 办公台"));

    // A request body over TLS too: a sign-in that fails is a problem, not a broken connection.
    match client
        .post(&format!("{}/api/v1/auth/token", server.base))
        .send_json(serde_json::json!({"username": "nobody", "password": "wrong-password"}))
    {
        Err(ureq::Error::Status(401, r)) => {
            assert!(r.content_type().starts_with("application/problem+json"))
        }
        other => panic!("sign-in of an unknown user: {other:?}"),
    }

    // A client without the county's CA refuses the server; plain HTTP gets no answer.
    let err = ureq::get(&format!("{}/healthz", server.base))
        .call()
        .expect_err("the default roots do not know the county CA");
    assert!(
        err.to_string().to_lowercase().contains("certificate")
            || err.to_string().contains("UnknownIssuer"),
        "{err}"
    );
    let plain = server.base.replacen("https://", "http://", 1);
    assert!(
        ureq::get(&format!("{plain}/healthz")).call().is_err(),
        "plain HTTP on the HTTPS port is not served"
    );
}

/// An RSA key as `openssl` writes it in the traditional format (PKCS#1, `BEGIN RSA
/// PRIVATE KEY`), the kind a CA's tooling often hands out. Needs `openssl`; skipped
/// where there is none.
#[test]
fn an_rsa_key_from_openssl_is_served_too() {
    if !built() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pkcs8 = dir.path().join("rsa-pkcs8.pem");
    let pkcs1 = dir.path().join("rsa.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pkcs8)
        .output();
    match made {
        Ok(o) if o.status.success() => {}
        _ => {
            eprintln!("skipped: no openssl to make an RSA key");
            return;
        }
    }
    let traditional = Command::new("openssl")
        .args(["rsa", "-traditional", "-in"])
        .arg(&pkcs8)
        .arg("-out")
        .arg(&pkcs1)
        .output()
        .expect("openssl rsa");
    assert!(traditional.status.success(), "{traditional:?}");
    assert!(std::fs::read_to_string(&pkcs1)
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));

    let (ca, ca_pem, issuer) = county_ca();
    let key = KeyPair::from_pem(&std::fs::read_to_string(&pkcs8).unwrap()).expect("RSA key");
    let chain = dir.path().join("chain.pem");
    std::fs::write(&chain, server_cert(&issuer, &key) + &ca_pem).unwrap();

    let server = start_tls(&dir.path().join("data"), &chain, &pkcs1);
    let health: serde_json::Value = client_trusting(&ca)
        .get(&format!("{}/healthz", server.base))
        .call()
        .expect("GET /healthz over HTTPS with an RSA key")
        .into_json()
        .unwrap();
    assert_eq!(health["status"], "ok");
}

/// `sancha serve` with these arguments (and environment), expected to stop.
fn refused(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(server_binary());
    cmd.arg("--data-dir")
        .arg(dir.join("data"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SANCHA_TLS_CERT")
        .env_remove("SANCHA_TLS_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out: Output = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run sancha");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "started: {stdout} {stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_certificate_without_its_key_or_a_bad_key_file_stops_the_start_with_a_message() {
    if !built() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let chain = pki.chain.to_str().unwrap();
    let key = pki.key.to_str().unwrap();

    let e = refused(dir.path(), &["--tls-cert", chain], &[]);
    assert!(e.contains("--tls-cert needs --tls-key"), "{e}");
    let e = refused(dir.path(), &["--tls-key", key], &[]);
    assert!(e.contains("--tls-key needs --tls-cert"), "{e}");
    // The same from the environment.
    let e = refused(dir.path(), &[], &[("SANCHA_TLS_CERT", &pki.chain)]);
    assert!(e.contains("--tls-cert needs --tls-key"), "{e}");

    let missing = dir.path().join("missing-key.pem");
    let e = refused(
        dir.path(),
        &["--tls-cert", chain, "--tls-key", missing.to_str().unwrap()],
        &[],
    );
    assert!(
        e.contains("cannot read") && e.contains("missing-key.pem"),
        "{e}"
    );
    let missing = dir.path().join("missing-cert.pem");
    let e = refused(
        dir.path(),
        &["--tls-cert", missing.to_str().unwrap(), "--tls-key", key],
        &[],
    );
    assert!(
        e.contains("cannot read") && e.contains("missing-cert.pem"),
        "{e}"
    );

    // The two files swapped: the key file holds no key.
    let e = refused(dir.path(), &["--tls-cert", key, "--tls-key", chain], &[]);
    assert!(e.contains("holds no"), "{e}");

    // Another certificate's key.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let other = make_pki(&other);
    let e = refused(
        dir.path(),
        &[
            "--tls-cert",
            chain,
            "--tls-key",
            other.key.to_str().unwrap(),
        ],
        &[],
    );
    assert!(e.contains("cannot be used together"), "{e}");
}
