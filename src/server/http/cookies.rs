//! The session cookie: HttpOnly, SameSite=Lax, Secure unless configured off.

use crate::server::config::Settings;
use axum::http::{header, HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "namaskah_session";

pub fn session(settings: &Settings, token: &str, max_age_secs: i64) -> HeaderValue {
    build(settings, SESSION_COOKIE, token, "/", max_age_secs)
}

pub fn clear_session(settings: &Settings) -> HeaderValue {
    build(settings, SESSION_COOKIE, "", "/", 0)
}

/// The challenge of a sign-in whose password was right, until its code comes (five minutes).
pub const SECOND_FACTOR_COOKIE: &str = "namaskah_second_factor";

pub fn second_factor(settings: &Settings, challenge: &str) -> HeaderValue {
    build(settings, SECOND_FACTOR_COOKIE, challenge, "/", 300)
}

pub fn clear_second_factor(settings: &Settings) -> HeaderValue {
    build(settings, SECOND_FACTOR_COOKIE, "", "/", 0)
}

/// A short-lived cookie scoped to one path, for handing a value to the next page load only.
pub fn flash(settings: &Settings, name: &str, value: &str, path: &str) -> HeaderValue {
    build(settings, name, value, path, 120)
}

pub fn clear_flash(settings: &Settings, name: &str, path: &str) -> HeaderValue {
    build(settings, name, "", path, 0)
}

fn build(settings: &Settings, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("cookie values are hex tokens")
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; namaskah_session=abc"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(read(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(read(&h, "b"), Some("2"));
        assert_eq!(read(&h, "c"), None);
    }
}
