//! Authentication and authorisation: argon2id passwords, HS256 access
//! tokens (stateless, so replicas need no shared session store), random
//! single-use refresh tokens stored hashed, and the role + region-scope
//! checks every handler goes through.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{web, FromRequest, HttpRequest};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code};

/// Access tokens live 12 hours: one working day in the villages.
pub const ACCESS_TTL_SECS: u64 = 12 * 3600;
/// Refresh tokens live 30 days: phones are offline for days at a time.
pub const REFRESH_TTL_DAYS: i64 = 30;

/// Fills `buf` from the operating system's generator. Without one the
/// server cannot make safe tokens, so it stops rather than continue.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random generator is unavailable");
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Checks a password. Without a stored hash it still does the work, so a
/// missing user costs as long as a wrong password.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default());
    let hash = stored.unwrap_or(dummy);
    let ok = PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    ok && stored.is_some()
}

/// A new refresh token and the hash that is stored instead of it.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    random_bytes(&mut bytes);
    let token = b64(&bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// A new enrolment code (手机登记码): 128 random bits as 22 base64url
/// characters, and the hash that is stored instead of it.
pub fn new_enrolment_code() -> (String, String) {
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes);
    let code = b64(&bytes);
    let hash = hash_refresh_token(&code);
    (code, hash)
}

/// The SHA-256 (hex) stored for a refresh token or an enrolment code.
pub fn hash_refresh_token(token: &str) -> String {
    hash_refresh_token_bytes(token.as_bytes())
}

fn hash_refresh_token_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    usr: String,
    role: String,
    scope: String,
    /// The enrolled phone the session belongs to, if it is one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dev: Option<String>,
    iat: u64,
    exp: u64,
}

/// One HS256 key and its id (`kid`): the first 8 bytes of the secret's SHA-256, hex.
#[derive(Clone)]
struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Key {
    fn new(secret: &[u8]) -> Result<Key, String> {
        Ok(Key {
            kid: hash_refresh_token_bytes(secret)[..16].to_string(),
            encoding: EncodingKey::from_secret(secret).map_err(|e| format!("JWT secret: {e}"))?,
            decoding: DecodingKey::from_secret(secret).map_err(|e| format!("JWT secret: {e}"))?,
        })
    }
}

/// The HS256 keys. The signing secret comes from `SANCHA_JWT_SECRET`, or is
/// made once into `<data-dir>/jwt.secret` (mode 0600). Tokens name their key
/// (`kid`), and a second key (`SANCHA_JWT_PREVIOUS_SECRET`) may be accepted
/// besides, so replicas roll to a new secret without signing anyone out.
#[derive(Clone)]
pub struct JwtKeys {
    current: Key,
    previous: Option<Key>,
}

fn checked(name: &str, s: &str) -> Result<(), String> {
    if s.len() < 32 {
        return Err(format!("{name} must be at least 32 characters"));
    }
    Ok(())
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Result<JwtKeys, String> {
        Ok(JwtKeys {
            current: Key::new(secret)?,
            previous: None,
        })
    }

    /// Also accepts tokens signed with `previous` (a key being rolled in or out).
    pub fn accepting(self, previous: Option<&str>) -> Result<JwtKeys, String> {
        let Some(p) = previous.filter(|p| !p.is_empty()) else {
            return Ok(self);
        };
        checked("SANCHA_JWT_PREVIOUS_SECRET", p)?;
        Ok(JwtKeys {
            previous: Some(Key::new(p.as_bytes())?),
            ..self
        })
    }

    pub fn load_or_create(env_secret: Option<&str>, data_dir: &Path) -> Result<JwtKeys, String> {
        if let Some(s) = env_secret.filter(|s| !s.is_empty()) {
            checked("SANCHA_JWT_SECRET", s)?;
            return JwtKeys::from_secret(s.as_bytes());
        }
        let path = data_dir.join("jwt.secret");
        if let Ok(s) = std::fs::read_to_string(&path) {
            return JwtKeys::from_secret(s.trim().as_bytes());
        }
        let mut bytes = [0u8; 48];
        random_bytes(&mut bytes);
        let secret = b64(&bytes);
        write_private(&path, &secret)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        JwtKeys::from_secret(secret.as_bytes())
    }

    pub fn issue(&self, user: &AuthUser) -> Result<String, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user.user_id.clone(),
            usr: user.username.clone(),
            role: user.role.as_str().to_string(),
            scope: user.scope.as_str().to_string(),
            dev: user.device_id.clone(),
            iat: now,
            exp: now + ACCESS_TTL_SECS,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.current.encoding).map_err(ApiError::internal)
    }

    /// The token's key by its `kid`; a token without one (issued before keys
    /// had ids) is checked against the current key.
    fn key_of(&self, token: &str) -> Option<&Key> {
        match jsonwebtoken::decode_header(token).ok()?.kid {
            None => Some(&self.current),
            Some(kid) => [Some(&self.current), self.previous.as_ref()]
                .into_iter()
                .flatten()
                .find(|k| k.kid == kid),
        }
    }

    pub fn verify(&self, token: &str) -> Option<AuthUser> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 30;
        let key = self.key_of(token)?;
        let c = jsonwebtoken::decode::<Claims>(token, &key.decoding, &v)
            .ok()?
            .claims;
        Some(AuthUser {
            user_id: c.sub,
            username: c.usr,
            role: Role::parse(&c.role)?,
            scope: RegionCode::parse(&c.scope)?,
            device_id: c.dev,
        })
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents.as_bytes())
}

/// The signed-in user, from a valid bearer token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub scope: RegionCode,
    /// The enrolled phone (手机登记) whose session this is; `None` for a
    /// password sign-in.
    pub device_id: Option<String>,
}

impl AuthUser {
    /// 403 unless the user has one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(Code::RoleForbidden))
        }
    }

    /// 403 unless `region` lies inside the user's scope.
    pub fn require_scope(&self, region: &RegionCode) -> Result<(), ApiError> {
        if self.scope.contains(region) {
            Ok(())
        } else {
            Err(ApiError::forbidden(Code::OutOfScope))
        }
    }

    /// Like [`AuthUser::require_scope`] for a stored 12-digit code.
    pub fn require_scope_code(&self, code: &str) -> Result<(), ApiError> {
        match RegionCode::parse(code) {
            Some(c) => self.require_scope(&c),
            None => Err(ApiError::forbidden(Code::OutOfScope)),
        }
    }
}

/// How long a replica trusts what it last read about a device: a device
/// revoked through another replica is refused here within this time.
pub const REVOCATION_TTL: Duration = Duration::from_secs(60);

/// Which devices are revoked, as this process last read it from the
/// database. Access tokens are stateless and live 12 hours, so a revoked
/// phone's token is checked here: a device's first request in a minute costs
/// one lookup by primary key, later ones none. Revoking through this process
/// takes effect at once; through another replica, within the time to live
/// ([`REVOCATION_TTL`]).
pub struct Revocations {
    seen: Mutex<HashMap<String, (bool, Instant)>>,
    ttl: Duration,
}

impl Default for Revocations {
    fn default() -> Revocations {
        Revocations::with_ttl(REVOCATION_TTL)
    }
}

impl Revocations {
    /// With another time to live (the tests' replicas wait a second, not a minute).
    pub fn with_ttl(ttl: Duration) -> Revocations {
        Revocations {
            seen: Mutex::default(),
            ttl,
        }
    }

    fn cached(&self, device: &str) -> Option<bool> {
        let map = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        map.get(device)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(revoked, _)| *revoked)
    }

    /// Records what the database says about `device`.
    pub fn set(&self, device: &str, revoked: bool) {
        let mut map = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        map.insert(device.to_string(), (revoked, Instant::now()));
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<AuthUser, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<crate::AppState>>().cloned();
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(ApiError::unauthenticated());
            };
            let user = state
                .jwt
                .verify(&token)
                .ok_or_else(ApiError::unauthenticated)?;
            if let Some(device) = user.device_id.clone() {
                let revoked = match state.revocations.cached(&device) {
                    Some(revoked) => revoked,
                    None => {
                        let id = device.clone();
                        let revoked = state
                            .db
                            .read(move |conn| crate::db::devices::is_revoked(conn, &id))
                            .await?;
                        state.revocations.set(&device, revoked);
                        revoked
                    }
                };
                if revoked {
                    return Err(ApiError::new(
                        actix_web::http::StatusCode::UNAUTHORIZED,
                        Code::DeviceRevoked,
                    ));
                }
            }
            Ok(user)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_hash() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong horse", Some(&h)));
        assert!(!verify_password("not a real password", None));
    }

    #[test]
    fn tokens_round_trip_and_reject_another_key() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef").unwrap();
        let user = AuthUser {
            user_id: "u1".into(),
            username: "li".into(),
            role: Role::Supervisor,
            scope: RegionCode::parse("210922").unwrap(),
            device_id: Some("d1".into()),
        };
        let token = keys.issue(&user).unwrap();
        let back = keys.verify(&token).unwrap();
        assert_eq!(
            (back.username.as_str(), back.role),
            ("li", Role::Supervisor)
        );
        assert_eq!(back.scope, user.scope);
        assert_eq!(
            back.device_id.as_deref(),
            Some("d1"),
            "a phone's token names its device"
        );
        let other = JwtKeys::from_secret(b"another secret another secret 12").unwrap();
        assert!(other.verify(&token).is_none());
        assert!(keys.verify("garbage").is_none());
    }

    #[test]
    fn a_new_key_rolls_in_while_the_previous_one_is_still_accepted() {
        let user = AuthUser {
            user_id: "u1".into(),
            username: "li".into(),
            role: Role::Enumerator,
            scope: RegionCode::parse("210922").unwrap(),
            device_id: None,
        };
        let (old, new) = (
            b"old secret old secret old secret 0".as_slice(),
            b"new secret new secret new secret 1".as_slice(),
        );
        let before = JwtKeys::from_secret(old).unwrap();
        let signed_before = before.issue(&user).unwrap();
        let header = jsonwebtoken::decode_header(&signed_before).unwrap();
        assert_eq!(
            header.kid.as_deref().map(str::len),
            Some(16),
            "tokens name their key"
        );
        // Rolled: the new key signs, the old one is still accepted.
        let after = JwtKeys::from_secret(new)
            .unwrap()
            .accepting(Some(std::str::from_utf8(old).unwrap()))
            .unwrap();
        assert!(
            after.verify(&signed_before).is_some(),
            "a session from before the roll survives it"
        );
        let signed_after = after.issue(&user).unwrap();
        assert!(after.verify(&signed_after).is_some());
        assert!(
            before.verify(&signed_after).is_none(),
            "a replica not rolled yet refuses the new key"
        );
        // The old key dropped: its tokens are refused.
        let done = JwtKeys::from_secret(new).unwrap();
        assert!(done.verify(&signed_before).is_none());
        assert!(done.verify(&signed_after).is_some());
        assert!(JwtKeys::from_secret(new)
            .unwrap()
            .accepting(Some("too short"))
            .is_err());
    }

    #[test]
    fn a_generated_secret_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = JwtKeys::load_or_create(None, dir.path()).unwrap();
        let path = dir.path().join("jwt.secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let user = AuthUser {
            user_id: "u1".into(),
            username: "li".into(),
            role: Role::Admin,
            scope: RegionCode::parse("2109").unwrap(),
            device_id: None,
        };
        let token = keys.issue(&user).unwrap();
        let again = JwtKeys::load_or_create(None, dir.path()).unwrap();
        assert!(
            again.verify(&token).is_some(),
            "a restart keeps sessions valid"
        );
        assert!(JwtKeys::load_or_create(Some("too short"), dir.path()).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let (a, ha) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(ha, hash_refresh_token(&a));
        assert_eq!(ha.len(), 64);
        assert!(!ha.contains(&a));
    }
}
