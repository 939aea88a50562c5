use chrono::{DateTime, Datelike, Timelike, Utc};

/// `2026-11-26 14:05 UTC`: unambiguous, the same on the server and in the browser. (Written
/// out rather than with a format string: chrono's formatter costs the browser client ~10 KB.)
pub fn format_time(t: &DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
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
