use chrono::{DateTime, Utc};

/// `2026-11-26 14:05 UTC`: unambiguous, the same on the server and in the browser.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
