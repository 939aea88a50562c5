//! Random tokens and their digests (passwords are hashed in `passwords`).

use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

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
}
