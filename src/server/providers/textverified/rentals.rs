//! TextVerified rentals: non-renewable lines, extended through the provider's own call, and
//! renewable ones (bought when the customer rents with auto-renew on), renewed one billing
//! cycle at a time by our auto-renewal (`POST /billing-cycles/{id}/renew`). A renewable line is
//! taken out of the provider's automatic renewal as soon as it is bought, so the provider never
//! renews, and charges us for, a cycle the customer has not paid for. Both kinds are refunded
//! within the provider's window when released early, and otherwise run out at their end.

use super::{TextVerifiedClient, ANY_SERVICE, DURATIONS, NAME};
use crate::server::providers::lenient::{decimal, items, string, time};
use crate::server::providers::{
    retrying, BuyRental, OrderPage, OrderStatus, ProviderError, ProviderOrder, ProviderResult,
    Retry,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// At most this many billing cycles are renewed for one extension (the longest extension,
/// 720 hours, of the shortest cycle, a day).
const MOST_RENEWALS: u32 = 31;

/// The path of a line of either kind.
fn line_path(id: &str, renewable: bool) -> String {
    let kind = if renewable {
        "renewable"
    } else {
        "nonrenewable"
    };
    format!("/reservations/rental/{kind}/{id}")
}

/// The shortest duration on sale that covers `hours`.
pub(super) fn duration_for(hours: u32) -> Option<&'static str> {
    DURATIONS.iter().find(|(_, h)| *h >= hours).map(|(d, _)| *d)
}

pub(super) fn rental_order(v: &Value) -> ProviderResult<ProviderOrder> {
    let status = match v["state"].as_str().unwrap_or_default() {
        "nonrenewableActive" | "renewableActive" | "renewableOverdue" => OrderStatus::Active,
        "nonrenewableExpired" | "renewableExpired" => OrderStatus::Finished,
        "nonrenewableRefunded" | "renewableRefunded" => OrderStatus::Cancelled,
        other => OrderStatus::Other(other.to_owned()),
    };
    super::order(v, status)
}

/// An extended rental as far as the extension's answer says it.
fn order_of_extension(order_id: &str) -> ProviderOrder {
    ProviderOrder {
        id: order_id.to_owned(),
        phone: String::new(),
        product: None,
        operator: None,
        country: Some("US".to_owned()),
        price: None,
        status: OrderStatus::Active,
        created_at: None,
        expires_at: None,
        sms: Vec::new(),
    }
}

impl TextVerifiedClient {
    /// A line as the provider shows it, and whether it is renewable. Ids do not say their
    /// kind: a line is looked for among non-renewable ones first (the most common), then
    /// among renewable ones.
    async fn line(&self, id: &str) -> ProviderResult<(Value, bool)> {
        for renewable in [false, true] {
            match self.get(&line_path(id, renewable)).await {
                Ok(v) => return Ok((v, renewable)),
                Err(ProviderError::NotFound) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ProviderError::NotFound)
    }

    pub(super) async fn rental(&self, id: &str) -> ProviderResult<ProviderOrder> {
        rental_order(&self.line(id).await?.0)
    }

    pub(super) async fn buy_line(&self, req: &BuyRental) -> ProviderResult<ProviderOrder> {
        if !req.country.eq_ignore_ascii_case("US") {
            return Err(ProviderError::BadRequest(
                "TextVerified rents US numbers only".into(),
            ));
        }
        let duration = duration_for(req.hours).ok_or_else(|| {
            ProviderError::BadRequest(format!(
                "TextVerified rents for at most 30 days, not {} hours",
                req.hours
            ))
        })?;
        let body = json!({"serviceName": ANY_SERVICE, "capability": "sms", "numberType": "mobile",
            "isRenewable": req.renewable, "duration": duration, "allowBackOrderReservations": false});
        let sale = self.create("/reservations/rental", &body).await?;
        let order = self.line_sold(&sale, req.renewable).await?;
        if req.renewable {
            self.leave_automatic_renewal(&order.id).await;
        }
        Ok(order)
    }

    /// The line a sale sold, read (the purchase is made: a failure here is `Unconfirmed`).
    async fn line_sold(&self, sale: &Value, renewable: bool) -> ProviderResult<ProviderOrder> {
        let unconfirmed = |e: ProviderError| ProviderError::Unconfirmed(e.to_string());
        let reservation = items(sale.get("reservations"))
            .into_iter()
            .next()
            .ok_or_else(|| {
                unconfirmed(ProviderError::Decode("a sale with no reservation".into()))
            })?;
        let target = reservation["link"]["href"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| string(&reservation["id"]).map(|id| line_path(&id, renewable)))
            .ok_or_else(|| unconfirmed(ProviderError::Decode("a reservation with no id".into())))?;
        let mut order =
            rental_order(&self.get(&target).await.map_err(unconfirmed)?).map_err(unconfirmed)?;
        order.price = decimal(&sale["total"]);
        Ok(order)
    }

    pub(super) async fn reactivation_cost(&self, id: &str) -> ProviderResult<Decimal> {
        let quoted = self
            .get(&format!("/reservations/rental/{id}/reactivate"))
            .await?;
        decimal(&quoted["price"])
            .ok_or_else(|| ProviderError::Decode("a reactivation with no price".into()))
    }

    /// `POST /reservations/rental/{id}/reactivate` (sent once: a purchase), then the line
    /// its sale sold.
    pub(super) async fn reactivate_line(
        &self,
        id: &str,
        max_price: Decimal,
    ) -> ProviderResult<ProviderOrder> {
        let body = json!({"maxPrice": super::json_number(max_price)});
        let sale = self
            .bought(
                &format!("/reservations/rental/{id}/reactivate"),
                &body,
                None,
            )
            .await?;
        self.line_sold(&sale, false).await
    }

    /// Takes a renewable line out of the provider's automatic renewal (ours renews it). Not
    /// taken out, the provider would renew it at the end of its cycle unless it was released.
    async fn leave_automatic_renewal(&self, id: &str) {
        let body = json!({"includeForRenewal": false});
        let path = line_path(id, true);
        // Setting a flag: safe to send again after a fault.
        if let Err(e) = retrying(Retry::Idempotent, || self.post(&path, &body)).await {
            tracing::warn!(provider = NAME, order_id = id, error = %e, "could not take a renewable line out of the provider's automatic renewal");
        }
    }

    /// Refunded while the provider's window is open; after it, the line runs out at its end.
    pub(super) async fn release_line(&self, id: &str) -> ProviderResult<ProviderOrder> {
        let (_, renewable) = self.line(id).await?;
        match self
            .post(&format!("{}/refund", line_path(id, renewable)), &json!({}))
            .await
        {
            Ok(_) => {}
            Err(ProviderError::OrderState { .. }) if renewable => {
                self.leave_automatic_renewal(id).await;
            }
            Err(ProviderError::OrderState { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut order = rental_order(&self.get(&line_path(id, renewable)).await?)?;
        if order.status == OrderStatus::Active {
            order.status = OrderStatus::Finished;
        }
        Ok(order)
    }

    /// `hours` more: a non-renewable line through the extension call, for the shortest
    /// duration that covers them; a renewable one by renewing its billing cycle until its end
    /// is `hours` later.
    pub(super) async fn extend_line(&self, id: &str, hours: u32) -> ProviderResult<ProviderOrder> {
        let (line, renewable) = self.line(id).await?;
        if renewable {
            return self.renew(id, &line, hours).await;
        }
        let duration = duration_for(hours).ok_or_else(|| {
            ProviderError::BadRequest(format!("TextVerified cannot extend by {hours} hours"))
        })?;
        let body = json!({"rentalId": id, "extensionDuration": duration});
        let done = self
            .post("/reservations/rentals/extensions", &body)
            .await?
            .body;
        // Extended (and paid): reading the rental back is only for its details.
        let mut order = match self.rental(id).await {
            Ok(order) => order,
            Err(e) => {
                tracing::warn!(provider = NAME, order_id = id, error = %e, "extended, but the rental could not be read back");
                order_of_extension(id)
            }
        };
        order.expires_at = time(&done["newEndsAt"]).or(order.expires_at);
        order.price = decimal(&done["cost"]);
        Ok(order)
    }

    /// Renews `line`'s billing cycle until its end is `hours` later. Fails unless it got
    /// there: cycles renewed before a refusal are paid for upstream but not enough, and
    /// the customer is not charged for what was not bought.
    async fn renew(&self, id: &str, line: &Value, hours: u32) -> ProviderResult<ProviderOrder> {
        let cycle = string(&line["billingCycleId"]).ok_or_else(|| {
            ProviderError::Decode("a renewable line with no billing cycle".into())
        })?;
        let mut ends = time(&line["endsAt"])
            .ok_or_else(|| ProviderError::Decode("a renewable line with no end".into()))?;
        let target = ends + chrono::Duration::hours(i64::from(hours));
        let mut cost = rust_decimal::Decimal::ZERO;
        let mut renewals = 0;
        while ends < target {
            let renewed = if renewals == MOST_RENEWALS {
                Err(ProviderError::BadRequest(format!(
                    "TextVerified cannot renew a line by {hours} hours"
                )))
            } else {
                self.post(&format!("/billing-cycles/{cycle}/renew"), &json!({}))
                    .await
                    .map(|answer| answer.body)
            };
            let renewed = match renewed {
                Ok(body) => body,
                Err(e) => {
                    if renewals > 0 {
                        tracing::warn!(provider = NAME, order_id = id, renewals, error = %e, "a renewable line was renewed only in part");
                    }
                    return Err(e);
                }
            };
            renewals += 1;
            cost += decimal(&renewed["renewCost"]).unwrap_or_default();
            match time(&renewed["billingCycleEndsAt"]) {
                Some(end) if end > ends => ends = end,
                // Renewed (and paid), but the answer does not say how far: not renewed again
                // blindly; the end is read from the line below.
                _ => break,
            }
        }
        let mut order = match self
            .get(&line_path(id, true))
            .await
            .and_then(|v| rental_order(&v))
        {
            Ok(order) => order,
            Err(e) => {
                tracing::warn!(provider = NAME, order_id = id, error = %e, "renewed, but the line could not be read back");
                let mut order = order_of_extension(id);
                order.expires_at = Some(ends);
                order
            }
        };
        if order.expires_at.is_none_or(|end| end < target) {
            tracing::warn!(
                provider = NAME,
                order_id = id,
                renewals,
                "a renewable line was renewed only in part"
            );
            return Err(ProviderError::Decode(format!(
                "renewed {renewals} cycle(s) but the line does not run {hours} hours longer"
            )));
        }
        order.price = Some(cost);
        Ok(order)
    }

    /// The account's lines of both kinds, newest first: the first `offset + limit` of each,
    /// merged, and the page cut from them.
    pub(super) async fn rental_orders(&self, limit: u32, offset: u32) -> ProviderResult<OrderPage> {
        let wanted = (offset + limit) as usize;
        let mut all = Vec::new();
        let mut total = 0;
        for kind in ["nonrenewable", "renewable"] {
            let mut next = Some(format!("/reservations/rental/{kind}?page=1&size=100"));
            let mut read = 0;
            while let Some(url) = next.take() {
                let listed = self.get(&url).await?;
                if read == 0 {
                    total += listed["count"].as_u64().unwrap_or(0);
                }
                let page = items(listed.get("data"));
                read += page.len();
                all.extend(page.into_iter().filter_map(|v| rental_order(v).ok()));
                if read < wanted {
                    next = listed["links"]["next"]["href"].as_str().map(str::to_owned);
                }
            }
        }
        all.sort_by_key(|o| std::cmp::Reverse(o.created_at));
        Ok(OrderPage {
            orders: all
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect(),
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rentals_are_bought_as_the_shortest_duration_that_covers_them() {
        assert_eq!(duration_for(1), Some("oneDay"));
        assert_eq!(duration_for(25), Some("threeDay"));
        assert_eq!(duration_for(720), Some("thirtyDay"));
        assert_eq!(duration_for(721), None);
    }
}
