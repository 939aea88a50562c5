//! The operators' analytics: `GET /api/admin/analytics/{usage,money,providers,customers,
//! forecasts,savings}`, each over a range with a granularity.

use super::*;

/// `?from=&to=&granularity=` (and at most one of `service`, `country`, `provider` to look at
/// one of them alone). `from` and `to` are RFC 3339 times or `YYYY-MM-DD` dates (UTC);
/// default: the last 30 days to now, by day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AnalyticsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub granularity: Option<String>,
    pub service: Option<String>,
    pub country: Option<String>,
    pub provider: Option<String>,
    /// For the `.csv` exports: which of the report's tables (`points` by default).
    pub table: Option<String>,
}

/// The range a report covers: widened to whole buckets of its granularity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RangeView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub granularity: String,
    /// `service`, `country` or `provider` when the report looks at one of them alone.
    pub filter: Option<FilterView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilterView {
    pub dimension: String,
    pub value: String,
}

/// Rentals in a bucket (or a range).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RentalCounts {
    pub started: i64,
    pub extended: i64,
    /// Extensions made by auto-renew (counted in `extended` too).
    pub auto_renewed: i64,
    pub released: i64,
    pub expired: i64,
    /// Active at the end of the bucket.
    pub active: i64,
}

/// Verifications in a bucket (or a range).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VerificationCounts {
    pub started: i64,
    pub finished: i64,
    pub cancelled: i64,
    pub timed_out: i64,
    /// Still open (waiting or with a code not yet finished) at the end of the bucket.
    pub active: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsagePoint {
    pub bucket: DateTime<Utc>,
    pub rentals: RentalCounts,
    pub verifications: VerificationCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageTotals {
    pub rentals: RentalCounts,
    pub verifications: VerificationCounts,
    /// How long the rentals that ended in the range were held, on average, in hours.
    pub average_rental_hours: Option<f64>,
    /// Extensions per rental started.
    pub extension_rate: Option<f64>,
    /// The share of rentals started with auto-renew on.
    pub auto_renew_rate: Option<f64>,
}

/// Usage of one service, country or provider over the range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageShare {
    pub key: String,
    pub rentals_started: i64,
    pub rentals_extended: i64,
    pub verifications_started: i64,
    pub verifications_finished: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageReport {
    pub range: RangeView,
    pub points: Vec<UsagePoint>,
    pub totals: UsageTotals,
    pub by_service: Vec<UsageShare>,
    pub by_country: Vec<UsageShare>,
    pub by_provider: Vec<UsageShare>,
}

/// Money in a bucket, a range, or for one service, country or provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoneyFigures {
    /// What customers were charged: purchases and extensions.
    pub revenue: Money,
    /// What was given back to them.
    pub refunds: Money,
    /// `revenue - refunds`.
    pub net_revenue: Money,
    /// What the providers charged us (less what they gave back).
    pub provider_cost: Money,
    /// `net_revenue - provider_cost`.
    pub margin: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoneyPoint {
    pub bucket: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: MoneyFigures,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoneyShare {
    pub key: String,
    #[serde(flatten)]
    pub figures: MoneyFigures,
}

/// Refunds of one reason: `early_release`, `cancelled`, `timed_out`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundReason {
    pub reason: String,
    pub count: i64,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoneyReport {
    pub range: RangeView,
    pub currency: String,
    pub points: Vec<MoneyPoint>,
    pub totals: MoneyFigures,
    pub refunds_by_reason: Vec<RefundReason>,
    pub by_service: Vec<MoneyShare>,
    pub by_country: Vec<MoneyShare>,
    pub by_provider: Vec<MoneyShare>,
    /// Customers who bought anything in the range.
    pub paying_customers: i64,
    /// Net revenue per paying customer.
    pub arpu: Money,
}

/// One provider's performance over the range (or a bucket).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderFigures {
    pub provider: String,
    /// Purchases asked of it, and how many it sold a number for.
    pub attempts: i64,
    pub delivered: i64,
    /// `delivered / attempts`.
    pub delivery_rate: Option<f64>,
    /// Attempts that failed with a fault (timeout, error, unreadable answer, rate limit).
    pub faults: i64,
    pub fault_rate: Option<f64>,
    /// Failed attempts handed over to the next provider.
    pub failovers: i64,
    /// Rentals and verifications it sold that received at least one SMS.
    pub purchases: i64,
    pub with_sms: i64,
    pub sms_rate: Option<f64>,
    /// Verifications finished with a code, of those that ended.
    pub verifications_finished: i64,
    pub verifications_ended: i64,
    pub verification_success_rate: Option<f64>,
    /// Seconds from purchase to the first SMS (from bands of the delays; see README).
    pub first_sms_p50_secs: Option<f64>,
    pub first_sms_p95_secs: Option<f64>,
    /// What its verifications cost us, per verification finished with a code.
    pub cost_per_successful_verification: Option<Money>,
}

/// One provider in one bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderPoint {
    pub bucket: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: ProviderFigures,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProvidersReport {
    pub range: RangeView,
    pub providers: Vec<ProviderFigures>,
    pub points: Vec<ProviderPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerPoint {
    pub bucket: DateTime<Utc>,
    /// Customers whose first purchase was in the bucket.
    pub new: i64,
    /// Customers who bought in the bucket and had bought before it.
    pub returning: i64,
}

/// One cohort (customers whose first purchase was in `cohort`'s month): how many bought in
/// each month since, month 0 being their first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CohortView {
    pub cohort: DateTime<Utc>,
    pub size: i64,
    /// Customers active in month 0, 1, 2, …
    pub active: Vec<i64>,
    /// `active / size`, per month.
    pub retention: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentView {
    pub segment: String,
    pub customers: i64,
    pub spend: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopCustomer {
    pub user_id: i64,
    pub email: String,
    pub purchases: i64,
    pub spend: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomersReport {
    pub range: RangeView,
    pub points: Vec<CustomerPoint>,
    pub cohorts: Vec<CohortView>,
    /// Every customer's segment now, by recency, frequency and monetary quintiles.
    pub segments: Vec<SegmentView>,
    pub top: Vec<TopCustomer>,
}

/// The next days' demand for one service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DemandForecast {
    pub service: String,
    pub method: String,
    /// Rentals and verifications started per day over the history used.
    pub history: Vec<i64>,
    pub days: Vec<DateTime<Utc>>,
    pub expected: Vec<f64>,
    /// The error of the method on the last days held out of its fit.
    pub held_out_days: i64,
    pub mae: Option<f64>,
    pub mape: Option<f64>,
}

/// How long a provider account's balance lasts at its recent spend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderRunway {
    pub provider: String,
    /// In the provider account's own currency; `None` when it could not be asked.
    pub balance: Option<String>,
    pub currency: Option<String>,
    /// What its numbers cost us per day over the last 7 days (as the provider charged it).
    pub daily_spend: Money,
    pub runway_days: Option<f64>,
}

/// A customer's balance runway and what their auto-renewing rentals cost per month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerRunway {
    pub user_id: i64,
    pub email: String,
    pub balance: Money,
    /// What they spent per day over the last 30 days.
    pub daily_spend: Money,
    pub runway_days: Option<f64>,
    pub auto_renew_monthly: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ForecastsReport {
    pub horizon_days: i64,
    pub demand: Vec<DemandForecast>,
    pub providers: Vec<ProviderRunway>,
    /// The customers whose balance runs out soonest.
    pub customers: Vec<CustomerRunway>,
}

/// An offer (service and country) where another provider sold for less at a success rate at
/// least as good.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Saving {
    /// `rental` or `verification`.
    pub product: String,
    pub service: String,
    pub country: String,
    pub provider: String,
    pub purchases: i64,
    pub average_cost: Money,
    pub success_rate: f64,
    pub cheaper_provider: String,
    pub cheaper_average_cost: Money,
    pub cheaper_success_rate: f64,
    /// What buying these from the cheaper provider would have saved.
    pub saving: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SavingsReport {
    pub range: RangeView,
    pub savings: Vec<Saving>,
    pub total: Money,
}

/// `GET /api/account/forecast`: the caller's balance runway and what their auto-renewing
/// rentals cost per month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountForecast {
    pub balance: Money,
    pub currency: String,
    /// What they spent per day over the last 30 days.
    pub daily_spend: Money,
    /// Days the balance lasts at that rate; `None` without spending.
    pub runway_days: Option<f64>,
    /// Auto-renewing rentals' renewals over 30 days, at today's prices.
    pub auto_renew_monthly: Money,
    pub auto_renewing: i64,
    /// Spent on purchases this calendar month (UTC), net of their refunds.
    pub spent_this_month: Money,
    /// What the month will have cost by its end at that rate.
    pub projected_this_month: Money,
    /// Ways to spend less, the largest saving first.
    pub suggestions: Vec<crate::domain::advice::Suggestion>,
}
