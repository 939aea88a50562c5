use chrono::{DateTime, Utc};

/// `2026-11-26 14:05 UTC`: unambiguous, the same on the server and in the browser.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "6 hours", "1 day", "30 days": a rental's length as people say it.
pub fn hours_label(hours: u32) -> String {
    match hours {
        h if h % 24 == 0 && h >= 48 => format!("{} days", h / 24),
        24 => "1 day".to_owned(),
        1 => "1 hour".to_owned(),
        h => format!("{h} hours"),
    }
}
