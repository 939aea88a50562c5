//! Contract tests: the real TextVerified client against the emulator, over real HTTP.

use namaskah::sandbox::textverified::{self, TextVerifiedEmulator};
use namaskah::server::clock::Clock;
use namaskah::server::config::SecretString;
use namaskah::server::providers::textverified::{TextVerifiedClient, TextVerifiedSettings};
use namaskah::server::providers::{
    BuyActivation, BuyRental, Category, OrderStateError, OrderStatus, ProviderError, SmsProvider,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::Duration;

const USER: &str = "ops@example.com";
const KEY: &str = "test-tv-key";

struct Upstream {
    client: TextVerifiedClient,
    base: String,
    http: reqwest::Client,
}

async fn upstream() -> Upstream {
    upstream_with(KEY).await
}

async fn upstream_with(key: &str) -> Upstream {
    let emulator = TextVerifiedEmulator::new(USER, KEY, Clock::default(), false);
    let base = textverified::serve(emulator, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = TextVerifiedClient::new(TextVerifiedSettings {
        base_url: base.clone(),
        username: USER.into(),
        api_key: SecretString::new(key.to_owned()),
        timeout: Duration::from_secs(2),
        rate_per_sec: 1_000,
        pushes: false,
    })
    .unwrap();
    Upstream {
        client,
        base,
        http: reqwest::Client::new(),
    }
}

impl Upstream {
    async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}/control{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn sms(&self, order_id: &str, text: &str) {
        let r = self
            .control(
                "/sms",
                json!({"order_id": order_id, "sender": "Telegram", "text": text}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }

    async fn advance(&self, seconds: i64) {
        let r = self
            .control("/clock", json!({"advance_seconds": seconds}))
            .await;
        assert_eq!(r.status(), 200);
    }

    async fn token(&self) -> String {
        let r: Value = self
            .http
            .post(format!("{}/api/pub/v2/auth", self.base))
            .header("X-API-USERNAME", USER)
            .header("X-API-KEY", KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["token"].as_str().unwrap().to_owned()
    }
}

fn telegram() -> BuyActivation {
    BuyActivation {
        country: "US".into(),
        operator: None,
        product: "telegram".into(),
        max_price: None,
        reusable: false,
    }
}

#[tokio::test]
async fn balance_offers_and_a_verification_from_purchase_to_code() {
    let up = upstream().await;
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        Decimal::from(100)
    );
    let offers = up.client.offers("US", None).await.unwrap();
    assert!(offers
        .iter()
        .any(|o| o.category == Category::Activation && o.product == "telegram"));
    let lengths: Vec<u32> = offers.iter().filter_map(|o| o.hours).collect();
    assert_eq!(lengths, [24, 72, 168, 336, 720]);
    assert!(
        up.client.offers("GB", None).await.unwrap().is_empty(),
        "US only"
    );
    let order = up.client.buy_activation(&telegram()).await.unwrap();
    assert!(order.phone.starts_with("+1"), "{}", order.phone);
    assert_eq!(order.status, OrderStatus::Active);
    assert!(order.price.is_some());
    up.sms(&order.id, "Telegram code 40404").await;
    let got = up.client.check(&order.id).await.unwrap();
    assert_eq!(got.sms.len(), 1);
    assert_eq!(got.sms[0].code.as_deref(), Some("40404"));
    assert_eq!(
        up.client.finish(&order.id).await.unwrap().status,
        OrderStatus::Finished
    );
}

#[tokio::test]
async fn cancel_refunds_before_an_sms_and_is_refused_after() {
    let up = upstream().await;
    let order = up.client.buy_activation(&telegram()).await.unwrap();
    let cancelled = up.client.cancel(&order.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        Decimal::from(100)
    );
    let answered = up.client.buy_activation(&telegram()).await.unwrap();
    up.sms(&answered.id, "code 1234").await;
    assert!(matches!(
        up.client.cancel(&answered.id).await.unwrap_err(),
        ProviderError::OrderState {
            state: OrderStateError::HasSms,
            ..
        }
    ));
    // Unanswered for 15 minutes: timed out upstream, refunded.
    let waiting = up.client.buy_activation(&telegram()).await.unwrap();
    up.advance(15 * 60).await;
    assert_eq!(
        up.client.check(&waiting.id).await.unwrap().status,
        OrderStatus::TimedOut
    );
}

#[tokio::test]
async fn an_expired_token_is_fetched_again_and_a_wrong_key_is_unauthorized() {
    let up = upstream().await;
    up.client.balance().await.unwrap();
    // The emulator's clock moves past the token's 899 s: the next call is refused with 401,
    // and the client gets a new token and asks again.
    up.advance(900).await;
    assert!(up.client.balance().await.is_ok());
    let wrong = upstream_with("nope").await;
    assert_eq!(
        wrong.client.balance().await.unwrap_err(),
        ProviderError::Unauthorized
    );
}

#[tokio::test]
async fn refusals_are_typed() {
    let up = upstream().await;
    assert_eq!(
        up.client.check("ver_unknown").await.unwrap_err(),
        ProviderError::NotFound
    );
    assert_eq!(
        up.client
            .buy_activation(&BuyActivation {
                max_price: Some(Decimal::new(1, 3)),
                ..telegram()
            })
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );
    let r = up
        .control("/stock", json!({"product": "telegram", "qty": 0}))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        up.client.buy_activation(&telegram()).await.unwrap_err(),
        ProviderError::NoNumbers
    );
    up.control("/balance", json!({"balance": "0"})).await;
    assert_eq!(
        up.client
            .buy_activation(&BuyActivation {
                product: "google".into(),
                ..telegram()
            })
            .await
            .unwrap_err(),
        ProviderError::InsufficientProviderBalance
    );
    assert!(matches!(
        up.client
            .buy_activation(&BuyActivation {
                country: "GB".into(),
                ..telegram()
            })
            .await,
        Err(ProviderError::BadRequest(_))
    ));
}

#[tokio::test]
async fn a_create_retried_with_its_key_is_409_in_flight_and_the_same_answer_after() {
    let up = upstream().await;
    let r = up
        .control("/balance", json!({"create_delay_ms": 400}))
        .await;
    assert_eq!(r.status(), 200);
    let token = up.token().await;
    let send = || {
        up.http
            .post(format!("{}/api/pub/v2/verifications", up.base))
            .bearer_auth(&token)
            .header("Idempotency-Key", "k-1")
            .json(&json!({"serviceName": "telegram", "capability": "sms"}))
            .send()
    };
    let (first, second) = tokio::join!(send(), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send().await
    });
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.status(), 201);
    assert_eq!(second.status(), 409);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["errorCode"], "IdempotencyConflict");
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    // Charged once.
    let price = namaskah::sandbox::textverified::verification_price("telegram").unwrap();
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        Decimal::from(100) - price
    );
}

#[tokio::test]
async fn a_rental_extends_natively_and_refunds_in_its_window() {
    let up = upstream().await;
    let rental = BuyRental {
        country: "US".into(),
        operator: None,
        hours: 20,
        renewable: false,
    };
    let order = up.client.buy_rental(&rental).await.unwrap();
    assert!(order.id.starts_with("ren"), "{}", order.id);
    let hours = (order.expires_at.unwrap() - order.created_at.unwrap()).num_hours();
    assert_eq!(hours, 24, "20 hours are bought as oneDay");
    up.sms(&order.id, "first").await;
    up.sms(&order.id, "second 5555").await;
    let texts: Vec<String> = up
        .client
        .rental_messages(&order.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["first", "second 5555"]);
    let before = up.client.balance().await.unwrap().balance;
    let extended = up.client.extend(&order.id, 48).await.unwrap();
    assert_eq!(
        (extended.expires_at.unwrap() - order.expires_at.unwrap()).num_hours(),
        72,
        "48 more hours are bought as threeDay"
    );
    assert!(up.client.balance().await.unwrap().balance < before);
    let listed = up.client.orders(Category::Rental, 10, 0).await.unwrap();
    assert_eq!(listed.total, 1);
    // Released in its first hour: refunded upstream.
    let before = up.client.balance().await.unwrap().balance;
    let released = up.client.release(&order.id).await.unwrap();
    assert_eq!(released.status, OrderStatus::Cancelled);
    assert!(up.client.balance().await.unwrap().balance > before);
    // Later, a release refunds nothing and is not an error.
    let later = up.client.buy_rental(&rental).await.unwrap();
    up.advance(2 * 3600).await;
    let before = up.client.balance().await.unwrap().balance;
    assert_eq!(
        up.client.release(&later.id).await.unwrap().status,
        OrderStatus::Finished
    );
    assert_eq!(up.client.balance().await.unwrap().balance, before);
}

#[tokio::test]
async fn a_renewable_line_renews_its_billing_cycle_to_extend_and_is_refunded_in_its_window() {
    let up = upstream().await;
    let rental = BuyRental {
        country: "US".into(),
        operator: None,
        hours: 20,
        renewable: true,
    };
    let start = up.client.balance().await.unwrap().balance;
    let order = up.client.buy_rental(&rental).await.unwrap();
    let day = textverified::rental_price("oneDay", true).unwrap();
    assert_eq!(
        order.price,
        Some(day),
        "renewable lines sell at their own price"
    );
    assert_eq!(order.status, OrderStatus::Active);
    up.sms(&order.id, "code 4242").await;
    assert_eq!(up.client.check(&order.id).await.unwrap().sms.len(), 1);

    // Bought out of the provider's own renewal: at the end of a cycle nobody renewed, it
    // would run out (checked in the emulator's tests); ours renews it, a cycle at a time.
    let extended = up.client.extend(&order.id, 24).await.unwrap();
    assert_eq!(
        (extended.expires_at.unwrap() - order.expires_at.unwrap()).num_hours(),
        24
    );
    assert_eq!(extended.price, Some(day));
    // Two days more: two cycles.
    let again = up.client.extend(&order.id, 48).await.unwrap();
    assert_eq!(
        (again.expires_at.unwrap() - extended.expires_at.unwrap()).num_hours(),
        48
    );
    assert_eq!(again.price, Some(day * Decimal::TWO));
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        start - day * Decimal::from(4)
    );
    let listed = up.client.orders(Category::Rental, 10, 0).await.unwrap();
    assert_eq!(listed.orders.len(), 1);

    // Released in its first hour: refunded upstream (all it cost), and cancelled.
    let released = up.client.release(&order.id).await.unwrap();
    assert_eq!(released.status, OrderStatus::Cancelled);
    assert_eq!(up.client.balance().await.unwrap().balance, start);
    // Nothing more to renew.
    assert!(matches!(
        up.client.extend(&order.id, 24).await,
        Err(ProviderError::OrderState { .. })
    ));
}

#[tokio::test]
async fn a_verification_is_reused_in_its_window_and_reactivated_after_it() {
    let up = upstream().await;
    let first = up.client.buy_activation(&telegram()).await.unwrap();
    // Nothing to use again before its code.
    assert!(matches!(
        up.client.reuse(&first.id, "telegram", &first.phone).await,
        Err(ProviderError::OrderState { .. })
    ));
    up.sms(&first.id, "Telegram code 11111").await;
    let before = up.client.balance().await.unwrap().balance;

    // Within 30 s of its code: reused, the same number, charged as a new verification.
    let reused = up
        .client
        .reuse(&first.id, "telegram", &first.phone)
        .await
        .unwrap();
    assert_ne!(reused.id, first.id);
    assert_eq!(reused.phone, first.phone);
    assert_eq!(reused.status, OrderStatus::Active);
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        before - first.price.unwrap()
    );
    up.sms(&reused.id, "Telegram code 22222").await;
    assert_eq!(
        up.client.check(&reused.id).await.unwrap().sms[0]
            .code
            .as_deref(),
        Some("22222")
    );

    // Past the window: reactivated instead.
    up.advance(31).await;
    let reactivated = up
        .client
        .reuse(&reused.id, "telegram", &reused.phone)
        .await
        .unwrap();
    assert_eq!(reactivated.phone, first.phone);
    assert_eq!(reactivated.status, OrderStatus::Active);
    // A verification used again is not used again twice.
    assert!(matches!(
        up.client.reuse(&reused.id, "telegram", &reused.phone).await,
        Err(ProviderError::OrderState { .. })
    ));
}
