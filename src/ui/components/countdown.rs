//! Time left, ticking in the browser: one one-second timer per tab drives every countdown, so
//! nothing is fetched to keep them current.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::time::Duration;

use super::format_time;

/// Seconds since the page became interactive; bumped once a second in the browser only.
#[derive(Clone, Copy)]
pub struct Tick(pub RwSignal<i64>);

/// Provides the tab's ticker. The timer starts in an effect, so the server never runs it.
pub fn provide_ticker() {
    let tick = RwSignal::new(0i64);
    provide_context(Tick(tick));
    Effect::new(move |_| {
        set_interval(move || tick.update(|t| *t += 1), Duration::from_secs(1));
    });
}

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
    let Tick(tick) = expect_context();
    let start = tick.get_untracked();
    let left = move || seconds - (tick.get() - start);
    view! {
        <time class="tabular" datetime=until.to_rfc3339() title=format_time(&until) data-testid="countdown">
            {move || remaining(left())}
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
