//! `/docs/api`: the API reference, rendered from the OpenAPI document the server serves at
//! `/api/openapi.json`. Every operation with its parameters, an example body, its answers and a
//! `curl` line to copy; in sandbox mode, a form to try it against this server.

use crate::api::docs::get_api_reference;
use crate::api::dto::{ApiGroup, ApiOperation, ApiReference};
use crate::ui::components::{CopyButton, ErrorNotice};
use crate::ui::islands::TryIt;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| get_api_reference());
    view! {
        <Title text="API reference" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match reference.await {
                    Ok(reference) => view! { <Reference reference /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Reference(reference: ApiReference) -> impl IntoView {
    let sandbox = reference.sandbox;
    view! {
        <div class="api-docs">
            <h1>{reference.title} <span class="muted">" v"{reference.version}</span></h1>
            <p>
                <a href="/api/openapi.json" download="namaskah-openapi.json" class="btn btn-small">"OpenAPI document (JSON)"</a>
                " Generate a client from it with any OpenAPI 3.1 generator."
            </p>
            {reference.introduction.into_iter().map(|p| view! { <p>{prose(&p)}</p> }).collect_view()}
            {if sandbox {
                view! {
                    <p class="notice" data-testid="try-it-note">
                        "This server runs in sandbox mode: every operation below can be tried here, "
                        "with your session or an API key, against the sandbox's providers and money."
                    </p>
                }
                    .into_any()
            } else {
                ().into_any()
            }}
            <nav class="card api-toc" aria-label="Operations">
                <h2>"Contents"</h2>
                <ul>
                    {reference
                        .groups
                        .iter()
                        .map(|g| {
                            view! {
                                <li>
                                    <a href=format!("#{}", slug(&g.name))>{g.name.clone()}</a>
                                    <span class="muted">{format!(" ({})", g.operations.len())}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            {reference
                .groups
                .into_iter()
                .map(|group| view! { <Group group sandbox /> })
                .collect_view()}
        </div>
    }
}

#[component]
fn Group(group: ApiGroup, sandbox: bool) -> impl IntoView {
    let anchor = slug(&group.name);
    view! {
        <section class="api-group" id=anchor data-testid="api-group">
            <h2>{group.name}</h2>
            {(!group.description.is_empty()).then(|| view! { <p class="lead">{prose(&group.description)}</p> })}
            {group
                .operations
                .into_iter()
                .map(|op| view! { <Operation op sandbox /> })
                .collect_view()}
        </section>
    }
}

#[component]
fn Operation(op: ApiOperation, sandbox: bool) -> impl IntoView {
    let method_class = format!("method method-{}", op.method.to_lowercase());
    // A stream never ends: it is not for the form.
    let streams = op.responses.iter().any(|r| {
        r.shape
            .as_deref()
            .is_some_and(|s| s.contains("event-stream"))
    });
    let try_it = (sandbox && !streams).then(|| {
        let path_params: Vec<String> = op
            .parameters
            .iter()
            .filter(|p| p.location == "path")
            .map(|p| p.name.clone())
            .collect();
        view! {
            <div class="try-it-region" data-hydrate="interaction" data-hydrate-for=".try-it">
                <TryIt method=op.method.clone() path=op.path.clone() path_params body=op.body.clone() />
            </div>
        }
    });
    view! {
        <section class="card api-op" id=op.id.clone() data-testid="api-operation">
            <h3>
                <span class=method_class>{op.method.clone()}</span>
                " "
                <code class="api-path">{op.path.clone()}</code>
            </h3>
            <p class="api-summary">{op.summary}</p>
            {op.description.into_iter().map(|p| view! { <p class="muted">{prose(&p)}</p> }).collect_view()}
            {(!op.parameters.is_empty()).then(|| {
                view! {
                    <h4>"Parameters"</h4>
                    <div class="table-wrap">
                        <table class="table">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"In"</th>
                                    <th scope="col">"Type"</th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {op.parameters
                                    .into_iter()
                                    .map(|p| {
                                        view! {
                                            <tr>
                                                <td><code>{p.name}</code>{p.required.then_some(" *")}</td>
                                                <td>{p.location}</td>
                                                <td>{p.kind}</td>
                                                <td>{prose(&p.description)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
            })}
            {op.body.map(|body| {
                view! {
                    <h4>"Request body"</h4>
                    <pre class="api-code"><code>{body}</code></pre>
                }
            })}
            <h4>"Answers"</h4>
            <ul class="api-responses">
                {op.responses
                    .into_iter()
                    .map(|r| {
                        view! {
                            <li>
                                <code class="status">{r.status}</code>
                                " "
                                {prose(&r.description)}
                                {r.shape.map(|s| view! { " " <span class="muted">{format!("→ {s}")}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div class="api-curl">
                <pre class="api-code" data-testid="curl"><code>{op.curl.clone()}</code></pre>
                <CopyButton text=op.curl label="Copy curl" />
            </div>
            {try_it}
        </section>
    }
}

/// A paragraph of the document's text: `` `code` `` and `**bold**` shown as such.
fn prose(text: &str) -> impl IntoView {
    let mut parts = Vec::new();
    for (i, piece) in text.split('`').enumerate() {
        if i % 2 == 1 {
            parts.push(view! { <code>{piece.to_owned()}</code> }.into_any());
            continue;
        }
        for (j, run) in piece.split("**").enumerate() {
            if j % 2 == 1 {
                parts.push(view! { <strong>{run.to_owned()}</strong> }.into_any());
            } else if !run.is_empty() {
                parts.push(run.to_owned().into_any());
            }
        }
    }
    parts
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
