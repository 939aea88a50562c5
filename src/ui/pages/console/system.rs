//! The system (`/admin/system`): this instance (version, database, since when), its jobs
//! (passes, failures, the last pass, the pollers' lag), the jobs one instance runs at a time
//! and who holds them, the pollers' backlog across the deployment, and the live event streams
//! open here.

use super::ConsoleNav;
use crate::api::dto::SystemView;
use crate::api::staff::staff_system;
use crate::ui::components::{format_time, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SystemPage() -> impl IntoView {
    let system = Resource::new(|| (), |_| staff_system());
    view! {
        <Title text="System" />
        <ConsoleNav current="/admin/system" />
        <h1>"System"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match system.await {
                    Ok(s) => view! { <System s /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Milliseconds in words: "850 ms", "4.2 s", "3 min 5 s".
fn duration_words(ms: i64) -> String {
    match ms {
        ..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

#[component]
fn System(s: SystemView) -> impl IntoView {
    let uptime = (s.now - s.started_at).num_milliseconds();
    view! {
        <section class="card">
            <h2>"This instance"</h2>
            <dl class="facts">
                <dt>"Version"</dt>
                <dd>{s.version.clone()}</dd>
                <dt>"Database"</dt>
                <dd>{s.database.clone()}</dd>
                <dt>"Mode"</dt>
                <dd>{if s.sandbox { "sandbox (emulated providers)" } else { "live" }}</dd>
                <dt>"Up since"</dt>
                <dd class="tabular" title=duration_words(uptime)>{format_time(&s.started_at)}</dd>
                <dt>"Live event streams"</dt>
                <dd class="tabular" data-testid="event-streams">{s.event_streams}</dd>
            </dl>
        </section>
        <section class="card">
            <h2>"Pollers' backlog"</h2>
            <p class="muted">"Orders still open upstream, in the whole deployment: those whose poll is due and not yet claimed, and how late the oldest is."</p>
            <div class="table-wrap">
                <table class="table" data-testid="polling">
                    <thead>
                        <tr>
                            <th scope="col">"Orders"</th>
                            <th scope="col" class="num">"Open"</th>
                            <th scope="col" class="num">"Due now"</th>
                            <th scope="col" class="num">"Oldest waiting"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {s.polling.into_iter().map(|p| view! {
                            <tr>
                                <th scope="row">{p.orders}</th>
                                <td class="num">{p.open}</td>
                                <td class="num">{p.overdue}</td>
                                <td class="num">{if p.overdue == 0 { "—".to_owned() } else { duration_words(p.oldest_overdue_ms) }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card">
            <h2>"Jobs on this instance"</h2>
            <p class="muted">"Since this instance started. Lag is how overdue the most overdue order of a poller's last claim was."</p>
            <div class="table-wrap">
                <table class="table" data-testid="jobs">
                    <thead>
                        <tr>
                            <th scope="col">"Job"</th>
                            <th scope="col" class="num">"Passes"</th>
                            <th scope="col" class="num">"Failed"</th>
                            <th scope="col">"Last pass"</th>
                            <th scope="col" class="num">"Took"</th>
                            <th scope="col" class="num">"Lag"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {s.jobs.into_iter().map(|j| {
                            let failing = j.last_error.clone();
                            view! {
                                <tr data-job=j.name.clone()>
                                    <th scope="row">
                                        {j.name.clone()}
                                        {failing.map(|e| view! { <div class="small error-text">"Failing: " {e}</div> })}
                                    </th>
                                    <td class="num">{j.passes}</td>
                                    <td class="num">{j.failures}</td>
                                    <td class="tabular">{j.last_at.as_ref().map_or("—".to_owned(), format_time)}</td>
                                    <td class="num">{duration_words(i64::try_from(j.last_took_ms).unwrap_or(i64::MAX))}</td>
                                    <td class="num">{j.lag_ms.map_or("—".to_owned(), duration_words)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card">
            <h2>"Jobs one instance runs at a time"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="singletons">
                    <thead>
                        <tr>
                            <th scope="col">"Job"</th>
                            <th scope="col">"Now"</th>
                            <th scope="col">"Next run"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {s.singletons.into_iter().map(|j| view! {
                            <tr>
                                <th scope="row">{j.name}</th>
                                <td>{if j.running { format!("running, leased until {}", format_time(&j.lease_until)) } else { "idle".to_owned() }}</td>
                                <td class="tabular">{format_time(&j.next_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::duration_words;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(850), "850 ms");
        assert_eq!(duration_words(4_200), "4.2 s");
        assert_eq!(duration_words(185_000), "3 min 5 s");
    }
}
