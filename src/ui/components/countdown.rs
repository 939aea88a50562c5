//! Time left. The server writes it; in the browser the tab's script (`ui::islands`) counts
//! every countdown down to its `datetime` once a second on one timer, so nothing is fetched to
//! keep them current.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::format_time;

/// "in 3 h 12 min" for a number of seconds.
pub fn remaining(seconds: i64) -> String {
    if seconds <= 0 {
        return "ended".to_owned();
    }
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("in {s} s"),
        (0, 0, _) => format!("in {m} min {s:02} s"),
        (0, _, _) => format!("in {h} h {m} min"),
        _ => format!("in {d} d {h} h"),
    }
}

/// Time left until `until`, given `seconds` left when the server answered; the exact time is
/// on hover.
#[component]
pub fn Countdown(seconds: i64, until: DateTime<Utc>) -> impl IntoView {
    view! {
        <time
            class="tabular"
            datetime=until.to_rfc3339()
            title=format_time(&until)
            data-testid="countdown"
            data-countdown=""
        >
            {remaining(seconds)}
        </time>
    }
}

#[cfg(test)]
mod tests {
    use super::remaining;

    #[test]
    fn time_left_reads_naturally() {
        assert_eq!(remaining(0), "ended");
        assert_eq!(remaining(42), "in 42 s");
        assert_eq!(remaining(5 * 60 + 7), "in 5 min 07 s");
        assert_eq!(remaining(3 * 3600 + 12 * 60 + 5), "in 3 h 12 min");
        assert_eq!(remaining(2 * 86_400 + 3 * 3600), "in 2 d 3 h");
    }
}
