//! HTTPS: the certificate chain and private key of `serve --tls-cert --tls-key`,
//! read into a rustls server configuration once, at start-up.
//!
//! rustls runs on the `ring` provider rather than its default aws-lc-rs, which
//! needs cmake (and nasm) to build; ring builds with the C compiler alone. The
//! provider is passed explicitly, so no process-wide default is installed or needed.
//!
//! Every failure is a message naming the file, for the start to stop on; nothing
//! here panics.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What `serve` was given: both files or neither, and which.
pub fn paths<'a>(
    cert: Option<&'a Path>,
    key: Option<&'a Path>,
) -> Result<Option<(&'a Path, &'a Path)>, String> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(
            "--tls-cert 需要同时给出 --tls-key / --tls-cert needs --tls-key (SANCHA_TLS_KEY): the private key of the certificate"
                .into(),
        ),
        (None, Some(_)) => Err(
            "--tls-key 需要同时给出 --tls-cert / --tls-key needs --tls-cert (SANCHA_TLS_CERT): the certificate chain of the key"
                .into(),
        ),
    }
}

/// Reads a PEM certificate chain (the server's certificate first, then any
/// intermediates) and its PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) into
/// a server configuration. TLS 1.2 and 1.3; ALPN is left to actix.
pub fn load(cert_file: &Path, key_file: &Path) -> Result<rustls::ServerConfig, String> {
    let certs = read_chain(cert_file)?;
    let key = read_key(key_file)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "证书与私钥不可用 / certificate {} and key {} cannot be used together: {e}",
                cert_file.display(),
                key_file.display()
            )
        })
}

fn read(file: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(file).map_err(|e| format!("无法读取{what} / cannot read {}: {e}", file.display()))
}

fn read_chain(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(file, "证书")?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, pem::Error>>()
        .map_err(|e| {
            format!(
                "证书文件无效 / {} is not a PEM certificate chain: {e}",
                file.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "证书文件中没有证书 / {} holds no certificate (expected PEM \"BEGIN CERTIFICATE\")",
            file.display()
        ));
    }
    Ok(certs)
}

fn read_key(file: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = read(file, "私钥")?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => format!(
            "私钥文件中没有私钥 / {} holds no private key (expected PEM \"BEGIN PRIVATE KEY\", \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\")",
            file.display()
        ),
        e => format!(
            "私钥文件无效 / {} is not a PEM private key: {e}",
            file.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn both_files_or_neither() {
        let (c, k) = (Path::new("c.pem"), Path::new("k.pem"));
        assert_eq!(paths(None, None), Ok(None));
        assert_eq!(paths(Some(c), Some(k)), Ok(Some((c, k))));
        assert!(paths(Some(c), None).unwrap_err().contains("--tls-key"));
        assert!(paths(None, Some(k)).unwrap_err().contains("--tls-cert"));
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("nope-cert.pem");
        let key = file(dir.path(), "key.pem", "");
        let e = load(&cert, &key).unwrap_err();
        assert!(
            e.contains("cannot read") && e.contains("nope-cert.pem"),
            "{e}"
        );
    }

    #[test]
    fn files_without_pem_sections_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let junk = file(dir.path(), "junk.pem", "not a certificate\n");
        let e = load(&junk, &junk).unwrap_err();
        assert!(
            e.contains("holds no certificate") && e.contains("junk.pem"),
            "{e}"
        );
        let e = read_key(&junk).unwrap_err();
        assert!(
            e.contains("holds no private key") && e.contains("junk.pem"),
            "{e}"
        );
    }

    #[test]
    fn a_broken_pem_section_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let cut = file(dir.path(), "cut.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");
        let e = read_chain(&cut).unwrap_err();
        assert!(
            e.contains("not a PEM certificate chain") && e.contains("cut.pem"),
            "{e}"
        );
        let key = file(
            dir.path(),
            "key.pem",
            "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
        );
        let e = read_key(&key).unwrap_err();
        assert!(
            e.contains("not a PEM private key") && e.contains("key.pem"),
            "{e}"
        );
    }

    #[test]
    fn a_key_that_is_no_key_is_refused_without_a_panic() {
        // Well-formed PEM whose bytes are no certificate or key at all.
        let dir = tempfile::tempdir().unwrap();
        let cert = file(
            dir.path(),
            "cert.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        let key = file(
            dir.path(),
            "key.pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        let e = load(&cert, &key).unwrap_err();
        assert!(
            e.contains("cannot be used together") && e.contains("key.pem"),
            "{e}"
        );
    }
}
