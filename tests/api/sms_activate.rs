//! Contract tests: the real SMS-Activate client against the emulator, over real HTTP.

use namaskah::sandbox::sms_activate::{self, SmsActivateEmulator};
use namaskah::server::clock::Clock;
use namaskah::server::config::SecretString;
use namaskah::server::providers::sms_activate::{SmsActivateClient, SmsActivateSettings};
use namaskah::server::providers::{
    BuyActivation, BuyRental, Category, OrderStateError, OrderStatus, ProviderError, SmsProvider,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const KEY: &str = "test-sa-key";

struct Upstream {
    client: SmsActivateClient,
    url: String,
    http: reqwest::Client,
}

async fn upstream() -> Upstream {
    upstream_with(KEY, Duration::from_secs(2)).await
}

async fn upstream_with(client_key: &str, timeout: Duration) -> Upstream {
    let emulator = SmsActivateEmulator::new(KEY, Clock::default(), false);
    let url = sms_activate::serve(emulator.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = SmsActivateClient::new(SmsActivateSettings {
        name: "hero".into(),
        url: url.clone(),
        api_key: SecretString::new(client_key.to_owned()),
        timeout,
        rate_per_sec: 1_000,
        currency: "USD".into(),
        push_url: None,
    })
    .unwrap();
    Upstream {
        client,
        url,
        http: reqwest::Client::new(),
    }
}

impl Upstream {
    fn control_url(&self, path: &str) -> String {
        self.url
            .replace(sms_activate::API_PATH, sms_activate::CONTROL_PATH)
            + path
    }

    async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.control_url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn fault(&self, body: Value) {
        assert_eq!(self.control("/faults", body).await.status(), 201);
    }

    async fn sms(&self, order_id: &str, text: &str) {
        let r = self
            .control(
                "/sms",
                json!({"order_id": order_id.parse::<i64>().unwrap(), "sender": "Telegram", "text": text}),
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

    /// How many requests asked for `action`.
    async fn requests_for(&self, action: &str) -> usize {
        let log: Value = self
            .http
            .get(self.control_url("/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["query"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("action={action}"))
            })
            .count()
    }

    /// The protocol's raw answer to `action`, with the right key.
    async fn raw(&self, action: &str, params: &[(&str, &str)]) -> String {
        let mut query = vec![("api_key", KEY), ("action", action)];
        query.extend_from_slice(params);
        let r = self.http.get(&self.url).query(&query).send().await.unwrap();
        assert_eq!(r.status(), 200, "the protocol answers 200, errors too");
        r.text().await.unwrap()
    }
}

fn telegram_in(country: &str) -> BuyActivation {
    BuyActivation {
        country: country.into(),
        operator: None,
        product: "telegram".into(),
        max_price: None,
        reusable: false,
    }
}

fn rental_in(country: &str, hours: u32) -> BuyRental {
    BuyRental {
        country: country.into(),
        operator: None,
        hours,
        renewable: false,
    }
}

#[tokio::test]
async fn balance_countries_offers_and_prices() {
    let up = upstream().await;
    let balance = up.client.balance().await.unwrap();
    assert_eq!(balance.balance, Decimal::from(100));
    assert_eq!(balance.currency, "USD");
    let countries = up.client.countries().await.unwrap();
    assert!(countries
        .iter()
        .any(|c| c.iso == "GB" && c.provider_name == "16"));
    // Served by 5SIM's emulator, not by this one.
    assert!(!countries.iter().any(|c| c.iso == "FR"));
    let offers = up.client.offers("GB", None).await.unwrap();
    let telegram = offers
        .iter()
        .find(|o| o.category == Category::Activation && o.product == "telegram")
        .expect("telegram is sold in GB");
    assert!(telegram.price > Decimal::ZERO);
    let lengths: Vec<u32> = offers
        .iter()
        .filter(|o| o.category == Category::Rental)
        .filter_map(|o| o.hours)
        .collect();
    assert_eq!(lengths, [4, 12, 24, 72, 168, 720]);
    let prices = up.client.prices("GB", "telegram").await.unwrap();
    assert_eq!(prices.len(), 1);
    assert_eq!(prices[0].price, telegram.price);
    // A country outside the protocol's table is refused before any call.
    assert!(matches!(
        up.client.offers("XX", None).await,
        Err(ProviderError::BadRequest(_))
    ));
}

#[tokio::test]
async fn an_activation_from_purchase_to_code() {
    let up = upstream().await;
    let order = up.client.buy_activation(&telegram_in("GB")).await.unwrap();
    assert!(order.phone.starts_with("+44"), "{}", order.phone);
    assert_eq!(order.status, OrderStatus::Active);
    let price = order.price.expect("the answer says what it cost");
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        Decimal::from(100) - price
    );
    let waiting = up.client.check(&order.id).await.unwrap();
    assert!(!waiting.has_sms());
    assert_eq!(
        waiting.phone, order.phone,
        "the number is known for the order"
    );
    up.sms(&order.id, "Telegram code: 51234").await;
    let got = up.client.check(&order.id).await.unwrap();
    assert_eq!(got.sms.len(), 1);
    assert_eq!(got.sms[0].code.as_deref(), Some("51234"));
    assert_eq!(got.sms[0].text, "Telegram code: 51234");
    // Read twice, the same message: its id does not change.
    let again = up.client.check(&order.id).await.unwrap();
    assert_eq!(again.sms[0].id, got.sms[0].id);
    let finished = up.client.finish(&order.id).await.unwrap();
    assert_eq!(finished.status, OrderStatus::Finished);
}

#[tokio::test]
async fn cancel_is_refused_early_and_after_a_code_and_refunds_in_between() {
    let up = upstream().await;
    let order = up.client.buy_activation(&telegram_in("GB")).await.unwrap();
    let early = up.client.cancel(&order.id).await.unwrap_err();
    assert!(
        matches!(
            early,
            ProviderError::OrderState {
                state: OrderStateError::TooEarly,
                ..
            }
        ),
        "{early:?}"
    );
    up.advance(3 * 60).await;
    let cancelled = up.client.cancel(&order.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        Decimal::from(100)
    );
    assert_eq!(
        up.client.check(&order.id).await.unwrap().status,
        OrderStatus::Cancelled
    );
    let answered = up.client.buy_activation(&telegram_in("GB")).await.unwrap();
    up.sms(&answered.id, "Your code is 777111").await;
    up.advance(3 * 60).await;
    assert!(matches!(
        up.client.cancel(&answered.id).await.unwrap_err(),
        ProviderError::OrderState {
            state: OrderStateError::HasSms,
            ..
        }
    ));
}

#[tokio::test]
async fn unanswered_activations_are_refunded_after_twenty_minutes() {
    let up = upstream().await;
    let order = up.client.buy_activation(&telegram_in("DE")).await.unwrap();
    up.advance(20 * 60).await;
    assert_eq!(
        up.client.check(&order.id).await.unwrap().status,
        OrderStatus::Cancelled
    );
    assert_eq!(
        up.client.balance().await.unwrap().balance,
        Decimal::from(100)
    );
}

#[tokio::test]
async fn refusals_are_typed() {
    let up = upstream().await;
    assert_eq!(
        up.client.check("424242").await.unwrap_err(),
        ProviderError::NotFound
    );
    assert!(matches!(
        up.client
            .buy_activation(&BuyActivation {
                max_price: Some(Decimal::new(1, 3)),
                ..telegram_in("GB")
            })
            .await,
        Err(ProviderError::NoNumbers)
    ));
    assert_eq!(
        up.control(
            "/stock",
            json!({"country": "GB", "product": "telegram", "qty": 0})
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );
    assert_eq!(
        up.control("/balance", json!({"balance": "0"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("DE"))
            .await
            .unwrap_err(),
        ProviderError::InsufficientProviderBalance
    );
    assert_eq!(
        up.raw("getNumber", &[("service", "zz")]).await,
        "BAD_SERVICE"
    );
    assert_eq!(up.raw("noSuchAction", &[]).await, "BAD_ACTION");
    let wrong = upstream_with("wrong-key", Duration::from_secs(2)).await;
    assert_eq!(
        wrong.client.balance().await.unwrap_err(),
        ProviderError::Unauthorized
    );
    assert_eq!(
        wrong
            .client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::Unauthorized
    );
}

#[tokio::test]
async fn a_rented_number_extends_natively_and_releases() {
    let up = upstream().await;
    let order = up.client.buy_rental(&rental_in("GB", 3)).await.unwrap();
    let hours = |o: &namaskah::server::providers::ProviderOrder| {
        (o.expires_at.unwrap() - o.created_at.unwrap()).num_minutes() as f64 / 60.0
    };
    assert!(
        (hours(&order) - 4.0).abs() < 0.1,
        "3 hours are bought as the protocol's shortest, 4"
    );
    assert!(up
        .client
        .rental_messages(&order.id)
        .await
        .unwrap()
        .is_empty());
    up.sms(&order.id, "first").await;
    up.sms(&order.id, "second, code 4321").await;
    let messages = up.client.rental_messages(&order.id).await.unwrap();
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["first", "second, code 4321"], "oldest first");
    let before = up.client.balance().await.unwrap().balance;
    let extended = up.client.extend(&order.id, 10).await.unwrap();
    assert_eq!(
        (extended.expires_at.unwrap() - order.expires_at.unwrap()).num_hours(),
        12,
        "10 more hours are bought as 12"
    );
    assert!(up.client.balance().await.unwrap().balance < before);
    let listed = up.client.orders(Category::Rental, 10, 0).await.unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.orders[0].phone, order.phone);
    // In its first 20 minutes a release is a cancel, refunded upstream.
    let released = up.client.release(&order.id).await.unwrap();
    assert_eq!(released.status, OrderStatus::Cancelled);
    assert!(matches!(
        up.client.extend(&order.id, 4).await.unwrap_err(),
        ProviderError::OrderState {
            state: OrderStateError::Expired,
            ..
        }
    ));
    // Later, it is finished (CANT_CANCEL), with no refund.
    let later = up.client.buy_rental(&rental_in("GB", 24)).await.unwrap();
    up.advance(21 * 60).await;
    let before = up.client.balance().await.unwrap().balance;
    let released = up.client.release(&later.id).await.unwrap();
    assert_eq!(released.status, OrderStatus::Finished);
    assert_eq!(up.client.balance().await.unwrap().balance, before);
    assert_eq!(
        up.client.check(&later.id).await.unwrap().status,
        OrderStatus::Finished
    );
    // Released twice: already over, not an error.
    assert_eq!(
        up.client.release(&later.id).await.unwrap().status,
        OrderStatus::Finished
    );
}

#[tokio::test]
async fn each_sms_to_a_rent_is_pushed_to_its_url() {
    let up = upstream().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let answer: Value = serde_json::from_str(
        &up.raw(
            "getRentNumber",
            &[
                ("service", "full"),
                ("rent_time", "4"),
                ("country", "16"),
                ("url", &hook),
            ],
        )
        .await,
    )
    .unwrap();
    assert_eq!(answer["status"], "success", "{answer}");
    let id = answer["phone"]["id"].to_string();
    up.sms(&id, "pushed 1234").await;
    let pushed = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("pushed within 5 s")
        .unwrap();
    assert_eq!(pushed["rentId"], id.as_str());
    assert_eq!(pushed["sms"]["text"], "pushed 1234");
    assert_eq!(pushed["sms"]["phoneFrom"], "Telegram");
}

#[tokio::test]
async fn faults_produce_typed_errors_and_purchases_are_sent_once() {
    let up = upstream_with(KEY, Duration::from_millis(500)).await;
    // A read that fails once is retried and succeeds.
    up.fault(json!({"kind": "status", "status": 502, "action": "getBalance"}))
        .await;
    assert!(up.client.balance().await.is_ok());
    assert_eq!(up.requests_for("getBalance").await, 2);
    // A purchase that fails is not sent again.
    up.fault(json!({"kind": "status", "status": 500, "action": "getNumberV2"}))
        .await;
    assert!(matches!(
        up.client.buy_activation(&telegram_in("GB")).await,
        Err(ProviderError::Upstream { status: 500, .. })
    ));
    assert_eq!(up.requests_for("getNumberV2").await, 1);
    up.fault(json!({"kind": "no_free_phones", "action": "getNumberV2"}))
        .await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );
    up.fault(json!({"kind": "garbage", "action": "getNumberV2"}))
        .await;
    assert!(matches!(
        up.client.buy_activation(&telegram_in("GB")).await,
        Err(ProviderError::Decode(_))
    ));
    up.fault(json!({"kind": "timeout", "action": "getNumberV2"}))
        .await;
    let started = Instant::now();
    assert!(matches!(
        up.client.buy_activation(&telegram_in("GB")).await,
        Err(ProviderError::Timeout(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(2));
    up.fault(json!({"kind": "rate_limit", "action": "getNumberV2"}))
        .await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::RateLimited
    );
}
