//! 5SIM's JSON, as it comes over the wire, and its conversion to the provider-neutral types.
//! Every field but an order's `id`, `phone` and `status` may be missing.

use crate::server::providers::{
    Category, Offer, OperatorPrice, OrderStatus, ProviderOrder, ProviderSms,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::str::FromStr;

/// A JSON number read exactly as written (0.32 stays 0.32), never through `f64` arithmetic.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .as_ref()
        .and_then(number_to_decimal))
}

fn number_to_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        Value::String(s) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: i64,
    pub phone: String,
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    pub status: String,
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
    #[serde(default)]
    pub sms: Option<Vec<Sms>>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Sms {
    #[serde(default, alias = "ID")]
    pub id: Option<Value>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

impl Sms {
    pub fn into_sms(self, fallback_time: DateTime<Utc>) -> ProviderSms {
        ProviderSms {
            id: self.id.and_then(|v| match v {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) if !s.is_empty() => Some(s),
                _ => None,
            }),
            received_at: self.date.or(self.created_at).unwrap_or(fallback_time),
            sender: self.sender.unwrap_or_default(),
            text: self.text.unwrap_or_default(),
            code: self.code.filter(|c| !c.trim().is_empty()),
        }
    }
}

pub fn status(s: &str) -> OrderStatus {
    match s {
        "PENDING" => OrderStatus::Pending,
        "RECEIVED" => OrderStatus::Active,
        "CANCELED" => OrderStatus::Cancelled,
        "TIMEOUT" => OrderStatus::TimedOut,
        "FINISHED" => OrderStatus::Finished,
        "BANNED" => OrderStatus::Banned,
        other => OrderStatus::Other(other.to_owned()),
    }
}

impl Order {
    pub fn into_order(self) -> ProviderOrder {
        let fallback = self.created_at.unwrap_or_default();
        let mut sms: Vec<ProviderSms> = self
            .sms
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.into_sms(fallback))
            .collect();
        sms.sort_by_key(|s| s.received_at);
        ProviderOrder {
            id: self.id.to_string(),
            phone: self.phone,
            product: self.product,
            operator: self.operator,
            country: self.country,
            price: self.price,
            status: status(&self.status),
            created_at: self.created_at,
            expires_at: self.expires,
            sms,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    #[serde(default, deserialize_with = "decimal")]
    pub balance: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub rating: Option<Decimal>,
}

/// `{"Data": [...], "Total": n}`: the order list and the hosting inbox.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Listing<T> {
    #[serde(
        rename = "Data",
        default = "Vec::new",
        deserialize_with = "null_as_empty"
    )]
    pub data: Vec<T>,
    #[serde(rename = "Total", default)]
    pub total: u64,
}

fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One country of `/guest/countries`: `iso`, `prefix`, `text_*`, and every other key an operator.
pub struct CountryEntry {
    pub name: String,
    pub iso: Option<String>,
    pub prefix: Option<String>,
    pub text_en: Option<String>,
    pub operators: usize,
}

pub fn countries(body: Map<String, Value>) -> Vec<CountryEntry> {
    body.into_iter()
        .filter_map(|(name, v)| {
            let obj = v.as_object()?;
            let first_key = |k: &str| {
                obj.get(k)
                    .and_then(Value::as_object)
                    .and_then(|m| m.keys().next().cloned())
            };
            Some(CountryEntry {
                iso: first_key("iso").map(|s| s.to_uppercase()),
                prefix: first_key("prefix"),
                text_en: obj
                    .get("text_en")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                operators: obj
                    .keys()
                    .filter(|k| !matches!(k.as_str(), "iso" | "prefix") && !k.starts_with("text_"))
                    .count(),
                name,
            })
        })
        .collect()
}

/// `/guest/products/{country}/{operator}`: `{"telegram": {"Category", "Qty", "Price"}, …}`.
pub fn offers(body: Map<String, Value>) -> Vec<Offer> {
    let mut offers: Vec<Offer> = body
        .into_iter()
        .filter_map(|(product, v)| {
            let category = match v.get("Category")?.as_str()? {
                "activation" => Category::Activation,
                "hosting" => Category::Rental,
                _ => return None,
            };
            Some(Offer {
                hours: super::HOSTING_PRODUCTS
                    .iter()
                    .find(|(_, name)| *name == product)
                    .map(|(h, _)| *h),
                product,
                category,
                price: number_to_decimal(v.get("Price")?)?,
                stock: v.get("Qty").and_then(Value::as_u64).unwrap_or(0),
                sellers: Vec::new(),
            })
        })
        .collect();
    offers.sort_by(|a, b| a.product.cmp(&b.product));
    offers
}

/// `/guest/prices?country=X&product=Y`: `{country: {product: {operator: {cost, count}}}}`, or
/// `null` when the product is not offered there.
pub fn operator_prices(body: Value, country: &str, product: &str) -> Vec<OperatorPrice> {
    let Some(ops) = body
        .get(country)
        .and_then(|c| c.get(product))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let mut prices: Vec<OperatorPrice> = ops
        .iter()
        .filter_map(|(operator, v)| {
            Some(OperatorPrice {
                operator: operator.clone(),
                price: number_to_decimal(v.get("cost")?)?,
                stock: v.get("count").and_then(Value::as_u64).unwrap_or(0),
            })
        })
        .collect();
    prices.sort_by(|a, b| a.price.cmp(&b.price).then(a.operator.cmp(&b.operator)));
    prices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A 5SIM answer from the contract, kept in `tests/fixtures/five_sim/`.
    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/five_sim/",
                $name
            ))
        };
    }

    #[test]
    fn decodes_the_docs_order_example() {
        let body = fixture!("order_docs_example.json");
        let order = serde_json::from_str::<Order>(body).unwrap().into_order();
        assert_eq!(order.id, "11631253");
        assert_eq!(order.status, OrderStatus::Pending);
        assert_eq!(order.price, Some(dec("21")));
        assert!(!order.has_sms());
        assert_eq!(
            order.expires_at.unwrap().timestamp_subsec_nanos(),
            809_469_028
        );
    }

    #[test]
    fn received_with_no_sms_is_still_waiting() {
        let body = fixture!("order_received_no_sms.json");
        let order = serde_json::from_str::<Order>(body).unwrap().into_order();
        assert_eq!(order.status, OrderStatus::Active);
        assert!(!order.has_sms());
        assert!(order.operator.is_none() && order.price.is_none());
    }

    #[test]
    fn sms_are_oldest_first_and_empty_codes_are_none() {
        let body = fixture!("order_with_two_sms.json");
        let order = serde_json::from_str::<Order>(body).unwrap().into_order();
        assert_eq!(order.sms.len(), 2);
        assert_eq!(order.sms[0].code.as_deref(), Some("12345"));
        assert_eq!(order.sms[0].id.as_deref(), Some("7"));
        assert_eq!(order.sms[1].code, None);
        assert_eq!(order.sms[1].id, None);
    }

    #[test]
    fn decodes_products_prices_and_countries() {
        let products: Map<String, Value> = serde_json::from_str(fixture!("products.json")).unwrap();
        let offers = offers(products);
        assert_eq!(offers[0].product, "1day");
        assert_eq!(offers[0].category, Category::Rental);
        assert_eq!(offers[0].hours, Some(24));
        assert_eq!(offers[1].price, dec("0.32"));
        assert_eq!(offers[1].stock, 455354);

        let prices: Value = serde_json::from_str(fixture!("prices_country_product.json")).unwrap();
        let p = operator_prices(prices, "england", "telegram");
        assert_eq!(p[0].operator, "three");
        assert_eq!(p[0].price, dec("0.25"));
        assert!(operator_prices(Value::Null, "england", "telegram").is_empty());

        let countries_body: Map<String, Value> =
            serde_json::from_str(fixture!("countries.json")).unwrap();
        let c = &countries(countries_body)[0];
        assert_eq!(c.iso.as_deref(), Some("GB"));
        assert_eq!(c.prefix.as_deref(), Some("+44"));
        assert_eq!(c.operators, 2);
    }

    #[test]
    fn decodes_the_inbox_and_order_listing() {
        let inbox: Listing<Sms> = serde_json::from_str(fixture!("inbox.json")).unwrap();
        assert_eq!(inbox.total, 1);
        let sms = inbox.data.into_iter().next().unwrap().into_sms(Utc::now());
        assert_eq!(sms.id.as_deref(), Some("844928"));
        let orders: Listing<Order> = serde_json::from_str(fixture!("orders_empty.json")).unwrap();
        assert!(orders.data.is_empty());
        let profile: Profile = serde_json::from_str(fixture!("profile.json")).unwrap();
        assert_eq!(profile.balance, Some(dec("100.25")));
    }
}
