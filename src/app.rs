//! The application root and its route table.

use crate::api::accounts::get_session;
use crate::api::dto::SessionView;
use crate::api::AppError;
use crate::ui::layout::Layout;
use crate::ui::pages::{
    account::AccountPage, auth::LoginPage, auth::RegisterPage, dashboard::DashboardPage,
    keys::ApiKeysPage, not_found::NotFound, rental::RentalPage, rental_history::RentalHistoryPage,
    rentals::RentalsPage, verifications::VerificationsPage,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{provide_meta_context, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// Who is signed in and whether this is the sandbox, for every page.
pub type SessionResource = Resource<Result<SessionView, AppError>>;

/// Bumped whenever who-is-signed-in may have changed; the session resource follows it.
#[derive(Clone, Copy)]
pub struct SessionVersion(pub RwSignal<u32>);

/// Refetches the session (header, balance, navigation) each time `action` completes.
pub fn refresh_session_after<S>(action: ServerAction<S>)
where
    S: ServerFn + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let SessionVersion(version) = expect_context();
    Effect::new(move |_| {
        if action.version().get() > 0 {
            version.update(|v| *v += 1);
        }
    });
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let version = RwSignal::new(0u32);
    let session: SessionResource = Resource::new(move || version.get(), |_| get_session());
    provide_context(SessionVersion(version));
    provide_context(session);
    crate::ui::live::provide_live_updates();
    crate::ui::components::countdown::provide_ticker();

    view! {
        <Stylesheet id="leptos" href="/pkg/namaskah.css" />
        <Title formatter=|page: String| format!("{page} · Namaskah SMS") />
        <Router>
            <Layout>
                // Pages render whole before they are sent (`Async`): they read as complete
                // documents without JavaScript, and nothing shifts when the client hydrates.
                <Routes fallback=NotFound>
                    <Route path=path!("") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("keys") view=ApiKeysPage ssr=SsrMode::Async />
                    <Route path=path!("account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("rentals") view=RentalsPage ssr=SsrMode::Async />
                    <Route path=path!("verifications") view=VerificationsPage ssr=SsrMode::Async />
                    <Route path=path!("rentals/history") view=RentalHistoryPage ssr=SsrMode::Async />
                    <Route path=path!("rentals/:id") view=RentalPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
