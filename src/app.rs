//! The application root and its route table. It renders on the server only: every page is
//! complete HTML, forms post without JavaScript, and the islands (`ui::islands`) add what
//! must happen in the browser (live updates, prices as you type, bulk selection).

use crate::api::accounts::get_session;
use crate::api::dto::SessionView;
use crate::api::AppError;
use crate::ui::layout::Layout;
use crate::ui::pages::{
    account::AccountPage,
    api_docs::ApiDocsPage,
    auth::LoginPage,
    auth::RegisterPage,
    auth::SecondFactorPage,
    auth::{ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage},
    billing::BillingPage,
    console::{
        customers::CustomersPage,
        forecasts::ForecastsPage,
        money::MoneyPage,
        orders::{StaffRentalsPage, StaffVerificationsPage},
        pricing::PricingPage,
        providers::ProviderStatsPage,
        savings::SavingsPage,
        system::SystemPage,
        usage::UsagePage,
        users::{UserPage, UsersPage},
    },
    dashboard::DashboardPage,
    keys::ApiKeysPage,
    mfa::MfaPage,
    not_found::NotFound,
    notifications::NotificationsPage,
    providers::ProvidersPage,
    rental::RentalPage,
    rental_history::RentalHistoryPage,
    rentals::RentalsPage,
    statements::{ReceiptPage, StatementPage},
    verifications::VerificationsPage,
    webhooks::{WebhookDeliveriesPage, WebhooksPage},
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// Who is signed in and whether this is the sandbox, for every page.
pub type SessionResource = Resource<Result<SessionView, AppError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session: SessionResource = Resource::new(|| (), |_| get_session());
    provide_context(session);

    view! {
        <Title formatter=|page: String| format!("{page} · Namaskah SMS") />
        <Router>
            <Layout>
                // Pages render whole before they are sent (`Async`): they read as complete
                // documents without JavaScript, and nothing shifts when the client hydrates.
                <Routes fallback=NotFound>
                    <Route path=path!("") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("login/code") view=SecondFactorPage ssr=SsrMode::Async />
                    <Route path=path!("forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("verify-email") view=VerifyEmailPage ssr=SsrMode::Async />
                    <Route path=path!("keys") view=ApiKeysPage ssr=SsrMode::Async />
                    <Route path=path!("docs/api") view=ApiDocsPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks") view=WebhooksPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/:id") view=WebhookDeliveriesPage ssr=SsrMode::Async />
                    <Route path=path!("account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("billing") view=BillingPage ssr=SsrMode::Async />
                    <Route path=path!("billing/topups/:id/receipt") view=ReceiptPage ssr=SsrMode::Async />
                    <Route path=path!("billing/statements/:month") view=StatementPage ssr=SsrMode::Async />
                    <Route path=path!("account/mfa") view=MfaPage ssr=SsrMode::Async />
                    <Route path=path!("notifications") view=NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("admin/providers") view=ProvidersPage ssr=SsrMode::Async />
                    <Route path=path!("admin/users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("admin/users/:id") view=UserPage ssr=SsrMode::Async />
                    <Route path=path!("admin/rentals") view=StaffRentalsPage ssr=SsrMode::Async />
                    <Route path=path!("admin/verifications") view=StaffVerificationsPage ssr=SsrMode::Async />
                    <Route path=path!("admin/system") view=SystemPage ssr=SsrMode::Async />
                    <Route path=path!("admin/pricing") view=PricingPage ssr=SsrMode::Async />
                    <Route path=path!("admin/analytics/usage") view=UsagePage ssr=SsrMode::Async />
                    <Route path=path!("admin/analytics/money") view=MoneyPage ssr=SsrMode::Async />
                    <Route path=path!("admin/analytics/providers") view=ProviderStatsPage ssr=SsrMode::Async />
                    <Route path=path!("admin/analytics/customers") view=CustomersPage ssr=SsrMode::Async />
                    <Route path=path!("admin/analytics/forecasts") view=ForecastsPage ssr=SsrMode::Async />
                    <Route path=path!("admin/analytics/savings") view=SavingsPage ssr=SsrMode::Async />
                    <Route path=path!("rentals") view=RentalsPage ssr=SsrMode::Async />
                    <Route path=path!("verifications") view=VerificationsPage ssr=SsrMode::Async />
                    <Route path=path!("rentals/history") view=RentalHistoryPage ssr=SsrMode::Async />
                    <Route path=path!("rentals/:id") view=RentalPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
