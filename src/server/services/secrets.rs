//! Random tokens, their digests, and password hashing.

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// `bytes` random bytes from the OS, hex-encoded, after `prefix`.
pub fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    format!("{prefix}{}", hex::encode(buf))
}

/// SHA-256 of a token, hex-encoded: what the database stores instead of the token.
/// Tokens carry 192+ bits of randomness, so a fast digest is enough (argon2 is for passwords).
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id on the blocking pool.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .context("Failed to join the password hashing task")?
}

/// Checks a password against a stored hash. With no stored hash (unknown email) it checks
/// against a dummy one, so both answers take about as long.
pub async fn verify_password(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"not a real password at all", &salt)
            .expect("argon2 hashes a constant")
            .to_string()
    });
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY.clone());
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .context("Failed to join the password check task")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_prefixed() {
        let a = random_token("nmk_", 24);
        let b = random_token("nmk_", 24);
        assert_ne!(a, b);
        assert!(a.starts_with("nmk_"));
        assert_eq!(a.len(), 4 + 48);
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a));
    }

    #[tokio::test]
    async fn passwords_verify() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(
            verify_password("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse battery".into(), Some(h))
            .await
            .unwrap());
        assert!(!verify_password("not a real password at all".into(), None)
            .await
            .unwrap());
    }
}
