//! The pricing policy in force (the newest operators set, or the default), a customer's
//! standing under it, and the operators' changes to it and to customers' tiers, each
//! audit-logged with what it was before. Prices themselves come from `domain::pricing::price`
//! alone, through a [`Pricer`]; a change prices new purchases only (what was bought keeps the
//! price and hourly rate it was bought at).

use super::audit::{self, action, Actor};
use crate::api::dto::{MyPricing, PricingView, TierChange, TierView};
use crate::domain::pricing::{self, Item, Price, PricingPolicy, Standing};
use crate::domain::rental::UpstreamProduct;
use crate::domain::Money;
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::pricing as store;
use crate::server::ServerError;
use rust_decimal::Decimal;

/// A customer's spend counts towards a volume discount over the 30 whole days (UTC) before
/// today: the standing holds all day, so a batch of purchases (or a quote and the purchase
/// after it) is priced alike, and today's spending counts from tomorrow.
const DAY_MS: i64 = 24 * 3_600_000;
const VOLUME_DAYS: i64 = 30;

/// Prices for one customer (or for anyone not signed in: no discounts).
#[derive(Clone, Debug)]
pub struct Pricer {
    markup: Decimal,
    policy: PricingPolicy,
    standing: Standing,
}

impl Pricer {
    pub fn rental(&self, hours: u32, product: UpstreamProduct) -> Price {
        self.price(Item::Rental { hours, product })
    }

    pub fn activation(&self, cost: Decimal) -> Money {
        self.price(Item::Activation { cost }).amount
    }

    fn price(&self, item: Item) -> Price {
        pricing::price(self.markup, &self.policy, self.standing, item)
    }
}

/// The policy in force, with its row (`None` while it is the default).
async fn current(
    state: &AppState,
) -> Result<(PricingPolicy, Option<store::PolicyRow>), ServerError> {
    match store::current(&state.db.pool).await? {
        None => Ok((PricingPolicy::default(), None)),
        Some(row) => {
            let policy = serde_json::from_str(&row.body).map_err(|e| {
                anyhow::anyhow!(
                    "pricing policy {} is unreadable: {e}",
                    row.pricing_policy_id
                )
            })?;
            Ok((policy, Some(row)))
        }
    }
}

/// The prices `user_id` pays now (list prices when `None`).
pub async fn for_customer(state: &AppState, user_id: Option<i64>) -> Result<Pricer, ServerError> {
    let (policy, _) = current(state).await?;
    let standing = match user_id {
        None => Standing::default(),
        Some(user_id) => standing(state, &policy, user_id).await?.0,
    };
    Ok(Pricer {
        markup: state.settings.price_markup,
        policy,
        standing,
    })
}

/// The customer's standing, with their tier and 30-day spend.
async fn standing(
    state: &AppState,
    policy: &PricingPolicy,
    user_id: i64,
) -> Result<(Standing, String, Money), ServerError> {
    let tier = store::tier(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    let today = state.clock.now_ms().div_euclid(DAY_MS) * DAY_MS;
    let since = today - VOLUME_DAYS * DAY_MS;
    let spend =
        Money::from_units(store::spend_between(&state.db.pool, user_id, since, today).await?);
    Ok((policy.standing(&tier, spend), tier, spend))
}

/// `GET /api/billing/pricing`: what the caller's prices are made of.
pub async fn mine(state: &AppState, user_id: i64) -> Result<MyPricing, ServerError> {
    let (policy, _) = current(state).await?;
    let (standing, tier, spend) = standing(state, &policy, user_id).await?;
    Ok(MyPricing {
        tier,
        tier_discount: standing.tier_discount,
        spend_30_days: spend,
        volume_discount: standing.volume_discount,
        next_volume_step: policy.volume.into_iter().find(|s| s.min_spend > spend),
    })
}

/// The policy in force, for operators.
pub async fn view(state: &AppState) -> Result<PricingView, ServerError> {
    let (policy, row) = current(state).await?;
    Ok(PricingView {
        policy,
        changed_at: row.as_ref().map(|r| from_ms(r.created_at)),
        changed_by: row.and_then(|r| r.created_by),
    })
}

/// Puts `policy` in force for new purchases, after checking it (422 naming the field).
pub async fn change(
    state: &AppState,
    actor: &Actor,
    policy: PricingPolicy,
) -> Result<PricingView, ServerError> {
    policy
        .check()
        .map_err(|(field, message)| ServerError::validation_of(field, message))?;
    let (before, _) = current(state).await?;
    let body = serde_json::to_string(&policy).map_err(anyhow::Error::from)?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let id = store::insert(&mut *tx, &body, now, actor.user_id).await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::PRICING_CHANGED,
            target: format!("pricing_policy:{id}"),
            subject: None,
            before: Some(serde_json::to_value(&before).map_err(anyhow::Error::from)?),
            after: Some(serde_json::to_value(&policy).map_err(anyhow::Error::from)?),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(policy_id = id, "pricing policy changed");
    Ok(PricingView {
        policy,
        changed_at: Some(from_ms(now)),
        changed_by: actor.user_id,
    })
}

/// Moves a customer to one of the policy's tiers.
pub async fn set_tier(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    change: &TierChange,
) -> Result<TierView, ServerError> {
    let (policy, _) = current(state).await?;
    let tier = change.tier.trim();
    if policy.tier(tier).is_none() {
        let names: Vec<&str> = policy.tiers.iter().map(|t| t.name.as_str()).collect();
        return Err(ServerError::validation(
            "tier",
            format!("must be one of the policy's tiers: {}", names.join(", ")),
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let before = store::set_tier(&mut tx, user_id, tier, now)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::TIER_CHANGED,
            target: format!("user:{user_id}"),
            subject: Some(user_id),
            before: Some(serde_json::json!({ "tier": before })),
            after: Some(serde_json::json!({ "tier": tier })),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TierView {
        user_id,
        tier: tier.to_owned(),
    })
}
