//! Contract tests: the real 5SIM client against the emulator, over real HTTP.

use namaskah::sandbox::five_sim::{self, FiveSimEmulator};
use namaskah::server::clock::Clock;
use namaskah::server::config::SecretString;
use namaskah::server::providers::five_sim::{FiveSimClient, FiveSimSettings};
use namaskah::server::providers::{
    BuyActivation, BuyRental, Category, OrderStateError, OrderStatus, ProviderError, SmsProvider,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const KEY: &str = "test-5sim-key";

struct Upstream {
    emulator: FiveSimEmulator,
    client: FiveSimClient,
    base_url: String,
    http: reqwest::Client,
}

async fn upstream() -> Upstream {
    upstream_with(KEY, Duration::from_secs(2)).await
}

async fn upstream_with(client_key: &str, timeout: Duration) -> Upstream {
    let emulator = FiveSimEmulator::new(KEY, Clock::default(), false);
    let base_url = five_sim::serve(emulator.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = FiveSimClient::new(FiveSimSettings {
        base_url: base_url.clone(),
        api_key: SecretString::new(client_key.to_owned()),
        timeout,
        rate_per_sec: 1_000,
    })
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Upstream {
        emulator,
        client,
        base_url,
        http,
    }
}

impl Upstream {
    async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        let url = self.base_url.replace("/v1", &format!("/control{path}"));
        self.http.post(url).json(&body).send().await.unwrap()
    }

    async fn fault(&self, body: Value) {
        assert_eq!(self.control("/faults", body).await.status(), 201);
    }

    async fn sms(&self, order_id: &str, text: &str) {
        let r = self.control("/sms", json!({"order_id": order_id.parse::<i64>().unwrap(), "sender": "Telegram", "text": text})).await;
        assert_eq!(r.status(), 200);
    }

    async fn requests_to(&self, prefix: &str) -> usize {
        let url = self.base_url.replace("/v1", "/control/requests");
        let log: Value = self
            .http
            .get(url)
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
            .filter(|r| r["path"].as_str().unwrap().starts_with(prefix))
            .count()
    }

    async fn balance(&self) -> Decimal {
        self.client.balance().await.unwrap().balance
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

#[tokio::test]
async fn profile_countries_offers_and_prices() {
    let up = upstream().await;
    let b = up.client.balance().await.unwrap();
    assert_eq!(b.balance, Decimal::from(100));
    assert_eq!(b.rating, Some(Decimal::from(96)));

    let countries = up.client.countries().await.unwrap();
    assert!(countries.len() >= 10);
    let gb = countries.iter().find(|c| c.iso == "GB").unwrap();
    assert_eq!(gb.provider_name, "england");
    assert_eq!(gb.dial_prefix.as_deref(), Some("+44"));

    let offers = up.client.offers("gb", None).await.unwrap();
    let services: Vec<_> = offers
        .iter()
        .filter(|o| o.category == Category::Activation)
        .collect();
    let rentals: Vec<_> = offers
        .iter()
        .filter(|o| o.category == Category::Rental)
        .collect();
    assert!(services.len() >= 20);
    assert_eq!(rentals.len(), 4);
    assert!(offers.iter().all(|o| o.price > Decimal::ZERO));
    let by_operator = up.client.offers("GB", Some("o2")).await.unwrap();
    assert!(
        by_operator
            .iter()
            .all(|o| o.category == Category::Activation),
        "o2 does not rent numbers here"
    );

    let prices = up.client.prices("GB", "telegram").await.unwrap();
    assert!(prices.len() >= 3);
    assert!(
        prices.windows(2).all(|w| w[0].price <= w[1].price),
        "cheapest first"
    );
    assert!(
        matches!(up.client.prices("GB", "nope").await, Err(ProviderError::BadRequest(m)) if m == "product is incorrect")
    );
    assert!(matches!(
        up.client.offers("ZZ", None).await,
        Err(ProviderError::BadRequest(_))
    ));
    assert!(
        matches!(up.client.offers("GB", Some("nope")).await, Err(ProviderError::BadRequest(m)) if m == "bad operator")
    );
}

#[tokio::test]
async fn an_activation_from_purchase_to_code() {
    let up = upstream().await;
    let order = up.client.buy_activation(&telegram_in("GB")).await.unwrap();
    assert_eq!(order.status, OrderStatus::Pending);
    assert!(order.phone.starts_with("+44"));
    let price = order.price.unwrap();
    assert_eq!(up.balance().await, Decimal::from(100) - price);

    // RECEIVED with no SMS: issued, still waiting.
    let waiting = up.client.check(&order.id).await.unwrap();
    assert_eq!(waiting.status, OrderStatus::Active);
    assert!(!waiting.has_sms());

    up.sms(&order.id, "Telegram code: 48213").await;
    let got = up.client.check(&order.id).await.unwrap();
    assert!(got.has_sms());
    assert_eq!(got.sms[0].code.as_deref(), Some("48213"));
    assert_eq!(got.sms[0].sender, "Telegram");

    assert!(matches!(
        up.client.cancel(&order.id).await,
        Err(ProviderError::OrderState {
            state: OrderStateError::HasSms,
            ..
        })
    ));
    assert_eq!(
        up.client.finish(&order.id).await.unwrap().status,
        OrderStatus::Finished
    );
    assert_eq!(
        up.balance().await,
        Decimal::from(100) - price,
        "a used number is paid for"
    );
}

#[tokio::test]
async fn cancel_and_ban_refund_before_any_sms() {
    let up = upstream().await;
    let order = up.client.buy_activation(&telegram_in("US")).await.unwrap();
    assert!(matches!(
        up.client.finish(&order.id).await,
        Err(ProviderError::OrderState {
            state: OrderStateError::NoSms,
            ..
        })
    ));
    assert_eq!(
        up.client.cancel(&order.id).await.unwrap().status,
        OrderStatus::Cancelled
    );
    let banned = up.client.buy_activation(&telegram_in("US")).await.unwrap();
    assert_eq!(
        up.client.ban(&banned.id).await.unwrap().status,
        OrderStatus::Banned
    );
    assert_eq!(up.balance().await, Decimal::from(100));
    let rating = up.client.balance().await.unwrap().rating.unwrap();
    assert!(rating < Decimal::from(96), "cancelling costs rating");
}

#[tokio::test]
async fn unanswered_orders_time_out_and_are_refunded() {
    let up = upstream().await;
    let order = up.client.buy_activation(&telegram_in("DE")).await.unwrap();
    up.emulator.clock.advance_ms(16 * 60 * 1000);
    let later = up.client.check(&order.id).await.unwrap();
    assert_eq!(later.status, OrderStatus::TimedOut);
    assert_eq!(up.balance().await, Decimal::from(100));
    assert!(matches!(
        up.client.cancel(&order.id).await,
        Err(ProviderError::OrderState {
            state: OrderStateError::Expired,
            ..
        })
    ));
    assert!(matches!(
        up.client.finish(&order.id).await,
        Err(ProviderError::OrderState {
            state: OrderStateError::Expired,
            ..
        })
    ));
}

#[tokio::test]
async fn unknown_orders_are_not_found() {
    let up = upstream().await;
    assert_eq!(
        up.client.check("123").await.unwrap_err(),
        ProviderError::NotFound
    );
    assert_eq!(
        up.client.cancel("123").await.unwrap_err(),
        ProviderError::NotFound
    );
    assert_eq!(
        up.client.finish("123").await.unwrap_err(),
        ProviderError::NotFound
    );
    assert_eq!(
        up.client.ban("123").await.unwrap_err(),
        ProviderError::NotFound
    );
}

#[tokio::test]
async fn hosting_orders_last_their_product_and_cannot_be_cancelled() {
    let up = upstream().await;
    let rental = up
        .client
        .buy_rental(&BuyRental {
            country: "GB".into(),
            operator: None,
            hours: 20,
            renewable: false,
        })
        .await
        .unwrap();
    let span = rental.expires_at.unwrap() - rental.created_at.unwrap();
    assert_eq!(
        span.num_hours(),
        24,
        "20 hours are sold as 5SIM's 1day product"
    );
    assert!(matches!(
        up.client.cancel(&rental.id).await,
        Err(ProviderError::OrderState {
            state: OrderStateError::HostingOrder,
            ..
        })
    ));
    up.sms(&rental.id, "Your Uber code is 1234").await;
    up.sms(&rental.id, "Welcome to Uber").await;
    let inbox = up.client.rental_messages(&rental.id).await.unwrap();
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].code.as_deref(), Some("1234"));
    assert!(
        inbox[0].id.is_some() && inbox[0].id != inbox[1].id,
        "messages carry ids to deduplicate by"
    );
    assert_eq!(
        up.client.release(&rental.id).await.unwrap().status,
        OrderStatus::Finished
    );
    assert!(matches!(
        up.client.extend(&rental.id, 24).await,
        Err(ProviderError::Unsupported(_))
    ));
    assert!(matches!(
        up.client
            .buy_rental(&BuyRental {
                country: "GB".into(),
                operator: None,
                hours: 1000,
                renewable: false,
            })
            .await,
        Err(ProviderError::BadRequest(_))
    ));
    // An operator that does not rent numbers has nothing to sell.
    assert_eq!(
        up.client
            .buy_rental(&BuyRental {
                country: "GB".into(),
                operator: Some("o2".into()),
                hours: 3,
                renewable: false,
            })
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );
}

#[tokio::test]
async fn a_reusable_number_can_be_bought_again() {
    let up = upstream().await;
    let once = up.client.buy_activation(&telegram_in("GB")).await.unwrap();
    up.sms(&once.id, "12345").await;
    up.client.finish(&once.id).await.unwrap();
    assert!(matches!(
        up.client.reuse(&once.id, "telegram", &once.phone).await,
        Err(ProviderError::OrderState { state: OrderStateError::ReuseRefused, message }) if message == "reuse false"
    ));

    let reusable = up
        .client
        .buy_activation(&BuyActivation {
            reusable: true,
            ..telegram_in("GB")
        })
        .await
        .unwrap();
    up.sms(&reusable.id, "12345").await;
    up.client.finish(&reusable.id).await.unwrap();
    let again = up
        .client
        .reuse(&reusable.id, "telegram", &reusable.phone)
        .await
        .unwrap();
    assert_eq!(again.phone, reusable.phone);
    assert_ne!(again.id, reusable.id);
    assert!(matches!(
        up.client.reuse("1", "telegram", "+440000000").await,
        Err(ProviderError::OrderState { state: OrderStateError::ReuseRefused, message }) if message == "reuse not possible"
    ));
}

#[tokio::test]
async fn account_limits_are_typed() {
    let up = upstream().await;
    up.control("/balance", json!({"balance": "0.01"})).await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::InsufficientProviderBalance
    );
    up.control("/balance", json!({"balance": "100", "rating": "0"}))
        .await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::NotEnoughRating
    );
    up.control("/balance", json!({"rating": "96"})).await;
    up.control(
        "/stock",
        json!({"country": "england", "product": "telegram", "qty": 0}),
    )
    .await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );
    up.control("/balance", json!({"no_free_phones_status": 400}))
        .await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );
    let cheap = BuyActivation {
        max_price: Some(Decimal::new(1, 3)),
        ..telegram_in("US")
    };
    assert_eq!(
        up.client.buy_activation(&cheap).await.unwrap_err(),
        ProviderError::NoNumbers,
        "maxPrice is honoured"
    );
    assert!(matches!(
        up.client.buy_activation(&BuyActivation { product: "nope".into(), ..telegram_in("GB") }).await,
        Err(ProviderError::BadRequest(m)) if m == "no product"
    ));
}

#[tokio::test]
async fn the_order_list_is_newest_first() {
    let up = upstream().await;
    let a = up.client.buy_activation(&telegram_in("GB")).await.unwrap();
    let b = up.client.buy_activation(&telegram_in("GB")).await.unwrap();
    up.client
        .buy_rental(&BuyRental {
            country: "GB".into(),
            operator: None,
            hours: 3,
            renewable: false,
        })
        .await
        .unwrap();
    let page = up.client.orders(Category::Activation, 10, 0).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.orders[0].id, b.id);
    assert_eq!(page.orders[1].id, a.id);
    assert_eq!(
        up.client
            .orders(Category::Rental, 10, 0)
            .await
            .unwrap()
            .total,
        1
    );
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_unknown_routes_redirect() {
    let up = upstream_with("not-the-key", Duration::from_secs(2)).await;
    assert_eq!(
        up.client.balance().await.unwrap_err(),
        ProviderError::Unauthorized
    );
    let r = up
        .http
        .get(format!("{}/user/profile", up.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().is_empty(), "401 with an empty body");
    // Guest calls need no key.
    assert!(up.client.countries().await.is_ok());
    let r = up
        .http
        .get(format!(
            "{}/guest/products/england/__probe__/x",
            up.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/404.html");
}

#[tokio::test]
async fn faults_produce_typed_errors_within_the_timeout() {
    let up = upstream_with(KEY, Duration::from_millis(500)).await;
    up.client.countries().await.unwrap();

    // A buy that times out fails once, quickly, and is never sent again.
    up.fault(json!({"kind": "timeout", "path_prefix": "/user/buy"}))
        .await;
    let t = Instant::now();
    assert!(matches!(
        up.client.buy_activation(&telegram_in("GB")).await,
        Err(ProviderError::Timeout(_))
    ));
    assert!(
        t.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(
        up.requests_to("/user/buy").await,
        1,
        "a buy is never retried blindly"
    );

    // Reads are retried: one 5xx is healed, three are reported.
    up.fault(json!({"kind": "status", "status": 502, "count": 1, "path_prefix": "/user/profile"}))
        .await;
    assert!(up.client.balance().await.is_ok());
    up.fault(json!({"kind": "status", "status": 500, "count": 3, "path_prefix": "/user/profile"}))
        .await;
    assert!(matches!(
        up.client.balance().await,
        Err(ProviderError::Upstream { status: 500, .. })
    ));

    up.fault(json!({"kind": "rate_limit", "count": 3, "path_prefix": "/user/profile"}))
        .await;
    assert_eq!(
        up.client.balance().await.unwrap_err(),
        ProviderError::RateLimited
    );

    up.fault(json!({"kind": "garbage", "path_prefix": "/user/profile"}))
        .await;
    assert!(matches!(
        up.client.balance().await,
        Err(ProviderError::Decode(_))
    ));

    up.fault(json!({"kind": "timeout", "count": 3, "path_prefix": "/user/profile"}))
        .await;
    let t = Instant::now();
    let r = up.client.balance().await;
    assert!(matches!(r, Err(ProviderError::Timeout(_))), "{r:?}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "three attempts, each bounded: {:?}",
        t.elapsed()
    );

    up.fault(json!({"kind": "no_free_phones", "status": 400, "path_prefix": "/user/buy"}))
        .await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );
    up.fault(json!({"kind": "no_free_phones", "path_prefix": "/user/buy"}))
        .await;
    assert_eq!(
        up.client
            .buy_activation(&telegram_in("GB"))
            .await
            .unwrap_err(),
        ProviderError::NoNumbers
    );

    up.fault(json!({"kind": "latency", "latency_ms": 200, "path_prefix": "/guest"}))
        .await;
    let t = Instant::now();
    assert!(up.client.prices("GB", "telegram").await.is_ok());
    assert!(t.elapsed() >= Duration::from_millis(200));

    // Nothing was charged by any of it.
    assert_eq!(up.balance().await, Decimal::from(100));
}

#[tokio::test]
async fn faults_can_be_cleared_and_the_request_log_read() {
    let up = upstream().await;
    up.fault(json!({"kind": "status", "count": 10})).await;
    let url = up.base_url.replace("/v1", "/control/faults");
    assert_eq!(up.http.delete(url).send().await.unwrap().status(), 204);
    assert!(up.client.balance().await.is_ok());
    assert_eq!(up.requests_to("/user/profile").await, 1);
}

#[tokio::test]
async fn the_emulators_own_control_api_answers_only_this_machine_or_its_token() {
    let u = upstream().await;
    let url = u.base_url.replace("/v1", "/control/requests");
    let get = |extra: &[(&'static str, &'static str)]| {
        let mut req = u.http.get(&url);
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        req.send()
    };
    assert_eq!(get(&[]).await.unwrap().status(), 200);
    // A page whose name was rebound to this address, or a proxy passing the public on.
    assert_eq!(
        get(&[("host", "rebind.evil.example")])
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        get(&[("x-forwarded-for", "203.0.113.7")])
            .await
            .unwrap()
            .status(),
        403
    );
    // 5SIM's own API is not the control API: it keeps answering as 5SIM does.
    assert!(u.client.balance().await.is_ok());

    // With a token, only its holder.
    let emulator =
        FiveSimEmulator::new(KEY, Clock::default(), false).with_control_token(Some("tok"));
    let base = five_sim::serve(emulator, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = base.replace("/v1", "/control/requests");
    assert_eq!(u.http.get(&url).send().await.unwrap().status(), 403);
    let r = u
        .http
        .get(&url)
        .header("x-sandbox-token", "tok")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
