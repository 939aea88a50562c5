//! `/admin/analytics/usage`: rentals and verifications over time and by service, country and
//! provider.

use super::{bucket_label, csv_link, range_words, ReportPage};
use crate::api::analytics::analytics_usage;
use crate::api::dto::{AnalyticsQuery, UsageReport, UsageShare};
use crate::ui::components::chart::{BarChart, LineChart, Series};
use leptos::prelude::*;

#[component]
pub fn UsagePage() -> impl IntoView {
    view! {
        <ReportPage
            title="Usage"
            report="usage" filters=true
            fetch=analytics_usage
            show=|r, q| view! { <UsageView r q /> }
        />
    }
}

#[component]
fn UsageView(r: UsageReport, q: AnalyticsQuery) -> impl IntoView {
    let g = r.range.granularity.clone();
    let labels: Vec<String> = r
        .points
        .iter()
        .map(|p| bucket_label(&p.bucket, &g))
        .collect();
    let series = |name: &str, f: fn(&crate::api::dto::UsagePoint) -> i64| Series {
        name: name.to_owned(),
        values: r.points.iter().map(|p| f(p) as f64).collect(),
    };
    let started = vec![
        series("Rentals started", |p| p.rentals.started),
        series("Verifications started", |p| p.verifications.started),
        series("Rentals extended", |p| p.rentals.extended),
    ];
    let active = vec![
        series("Rentals active", |p| p.rentals.active),
        series("Rentals ended", |p| p.rentals.released + p.rentals.expired),
    ];
    let t = &r.totals;
    let bars = |list: &[UsageShare]| {
        list.iter()
            .take(12)
            .map(|s| {
                let n = s.rentals_started + s.verifications_started;
                (s.key.clone(), n as f64, n.to_string())
            })
            .collect::<Vec<_>>()
    };
    view! {
        <p class="muted" data-testid="range">{range_words(&r.range)}</p>
        <section class="card figures">
            <dl class="stats">
                <div><dt>"Rentals started"</dt><dd data-testid="rentals-started">{t.rentals.started}</dd></div>
                <div><dt>"Active at the end"</dt><dd>{t.rentals.active}</dd></div>
                <div><dt>"Verifications"</dt><dd>{t.verifications.started}</dd></div>
                <div><dt>"Finished with a code"</dt><dd>{t.verifications.finished}</dd></div>
                <div><dt>"Average rental"</dt><dd>{t.average_rental_hours.map_or("—".into(), |h| format!("{h:.1} h"))}</dd></div>
                <div><dt>"Extensions per rental"</dt><dd>{t.extension_rate.map_or("—".into(), |x| format!("{x:.2}"))}</dd></div>
                <div><dt>"Auto-renew"</dt><dd>{super::percent(t.auto_renew_rate)}</dd></div>
            </dl>
        </section>
        <section class="card">
            <h2>"Started"</h2>
            <LineChart
                id="usage-started"
                title="Rentals and verifications started".into()
                description=format!("Rentals and verifications started and rentals extended, {}", range_words(&r.range))
                labels=labels.clone()
                series=started
                csv=csv_link("usage", &q, "points")
            />
        </section>
        <section class="card">
            <h2>"Active rentals"</h2>
            <LineChart
                id="usage-active"
                title="Active rentals".into()
                description="Rentals active at the end of each bucket, and those that ended in it".into()
                labels=labels
                series=active
                csv=csv_link("usage", &q, "points")
            />
        </section>
        <div class="grid-2">
            <section class="card">
                <h2>"By service"</h2>
                <BarChart
                    id="usage-services"
                    title="Purchases by service".into()
                    description="Rentals and verifications started, by service".into()
                    bars=bars(&r.by_service)
                    csv=csv_link("usage", &q, "by_service")
                />
            </section>
            <section class="card">
                <h2>"By country"</h2>
                <BarChart
                    id="usage-countries"
                    title="Purchases by country".into()
                    description="Rentals and verifications started, by country".into()
                    bars=bars(&r.by_country)
                    csv=csv_link("usage", &q, "by_country")
                />
            </section>
        </div>
        <section class="card">
            <h2>"By provider"</h2>
            <BarChart
                id="usage-providers"
                title="Purchases by provider".into()
                description="Rentals and verifications started, by provider".into()
                bars=bars(&r.by_provider)
                csv=csv_link("usage", &q, "by_provider")
            />
        </section>
    }
}
