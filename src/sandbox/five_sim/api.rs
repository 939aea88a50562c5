//! 5SIM's HTTP API (`/v1/...`) over the emulator's state.

use super::{catalog, EmResult, FiveSimEmulator, Kind, Refusal};
use crate::sandbox::traffic;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::str::FromStr;

pub fn router(em: FiveSimEmulator) -> Router {
    let user = Router::new()
        .route("/user/profile", get(profile))
        .route("/user/orders", get(orders))
        .route(
            "/user/buy/activation/{country}/{operator}/{product}",
            get(buy_activation),
        )
        .route(
            "/user/buy/hosting/{country}/{operator}/{product}",
            get(buy_hosting),
        )
        .route("/user/check/{id}", get(check))
        .route("/user/finish/{id}", get(finish))
        .route("/user/cancel/{id}", get(cancel))
        .route("/user/ban/{id}", get(ban))
        .route("/user/sms/inbox/{id}", get(inbox))
        .route("/user/reuse/{product}/{number}", get(reuse))
        .route_layer(axum::middleware::from_fn_with_state(
            em.clone(),
            require_key,
        ));
    Router::new()
        .route("/guest/countries", get(countries))
        .route("/guest/products/{country}/{operator}", get(products))
        .route("/guest/prices", get(prices))
        .route("/guest/flash/{lang}", get(flash))
        .merge(user)
        // 5SIM answers a path that matches no route with a redirect to its 404 page.
        .fallback(|| async { (StatusCode::FOUND, [(header::LOCATION, "/404.html")]) })
        .layer(axum::middleware::from_fn_with_state(
            em.traffic.clone(),
            traffic::faults_and_log,
        ))
        .with_state(em)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.body,
        )
            .into_response()
    }
}

type Answer = EmResult<Json<Value>>;

/// A bad or missing token: 401 with an empty body.
async fn require_key(State(em): State<FiveSimEmulator>, req: Request, next: Next) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if em.accepts(bearer) {
        next.run(req).await
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

async fn profile(State(em): State<FiveSimEmulator>) -> Answer {
    let s = em.lock();
    let open = s
        .orders
        .values()
        .filter(|o| o.status == super::Status::Received)
        .count();
    Ok(Json(json!({
        "id": 1_000_001,
        "email": "sandbox@namaskah.local",
        "vendor": "",
        "default_forwarding_number": "",
        "balance": super::money(s.balance),
        "rating": super::money(s.rating),
        "default_country": {"name": "any", "iso": "any", "prefix": ""},
        "default_operator": {"name": "any"},
        "frozen_balance": 0,
        "total_active_orders": open,
    })))
}

#[derive(Deserialize)]
struct OrdersQuery {
    category: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
    reverse: Option<bool>,
}

async fn orders(State(em): State<FiveSimEmulator>, Query(q): Query<OrdersQuery>) -> Answer {
    let kind = match q.category.as_deref() {
        Some("activation") => Kind::Activation,
        Some("hosting") => Kind::Hosting,
        _ => {
            return Err(Refusal {
                status: 400,
                body: "bad category",
            })
        }
    };
    let s = em.lock();
    let mut list: Vec<&super::Order> = s.orders.values().filter(|o| o.kind == kind).collect();
    if q.reverse.unwrap_or(false) {
        list.reverse();
    }
    let total = list.len();
    let data: Vec<Value> = list
        .into_iter()
        .skip(q.offset.unwrap_or(0))
        .take(q.limit.unwrap_or(15).min(100))
        .map(super::Order::json)
        .collect();
    Ok(Json(
        json!({"Data": data, "ProductNames": [], "Statuses": [], "Total": total}),
    ))
}

#[derive(Deserialize)]
struct BuyQuery {
    #[serde(rename = "maxPrice")]
    max_price: Option<String>,
    reuse: Option<String>,
}

async fn buy_activation(
    State(em): State<FiveSimEmulator>,
    Path((country, operator, product)): Path<(String, String, String)>,
    Query(q): Query<BuyQuery>,
) -> Answer {
    let max_price = q
        .max_price
        .as_deref()
        .and_then(|p| Decimal::from_str(p).ok());
    let reusable = q.reuse.as_deref() == Some("1");
    let now = em.now_ms();
    let order = em.lock().buy(
        now,
        Kind::Activation,
        &country,
        &operator,
        &product,
        max_price,
        reusable,
    )?;
    if em.auto_sms {
        super::control::schedule_verification_sms(&em, order.id, &product);
    }
    Ok(Json(order.json_as_bought()))
}

async fn buy_hosting(
    State(em): State<FiveSimEmulator>,
    Path((country, operator, product)): Path<(String, String, String)>,
) -> Answer {
    let now = em.now_ms();
    let order = em.lock().buy(
        now,
        Kind::Hosting,
        &country,
        &operator,
        &product,
        None,
        false,
    )?;
    Ok(Json(order.json_as_bought()))
}

fn order_id(raw: &str, status: u16) -> EmResult<i64> {
    raw.parse().map_err(|_| Refusal {
        status,
        body: "order not found",
    })
}

async fn check(State(em): State<FiveSimEmulator>, Path(id): Path<String>) -> Answer {
    let id = order_id(&id, 404)?;
    Ok(Json(em.lock().order(id)?.json()))
}

async fn finish(State(em): State<FiveSimEmulator>, Path(id): Path<String>) -> Answer {
    let (now, id) = (em.now_ms(), order_id(&id, 400)?);
    Ok(Json(em.lock().finish(now, id)?.json()))
}

async fn cancel(State(em): State<FiveSimEmulator>, Path(id): Path<String>) -> Answer {
    let (now, id) = (em.now_ms(), order_id(&id, 400)?);
    Ok(Json(em.lock().cancel(now, id, false)?.json()))
}

async fn ban(State(em): State<FiveSimEmulator>, Path(id): Path<String>) -> Answer {
    let (now, id) = (em.now_ms(), order_id(&id, 400)?);
    Ok(Json(em.lock().cancel(now, id, true)?.json()))
}

async fn inbox(State(em): State<FiveSimEmulator>, Path(id): Path<String>) -> Answer {
    let id = order_id(&id, 404)?;
    let s = em.lock();
    let order = s.order(id)?;
    let data: Vec<Value> = order
        .sms
        .iter()
        .map(|m| {
            json!({
                "ID": m.id,
                "created_at": super::time(m.at_ms),
                "date": super::time(m.at_ms),
                "sender": m.sender,
                "text": m.text,
                "code": m.code,
                "is_wave": false,
                "wave_uuid": "",
            })
        })
        .collect();
    Ok(Json(json!({"Data": data, "Total": order.sms.len()})))
}

async fn reuse(
    State(em): State<FiveSimEmulator>,
    Path((product, number)): Path<(String, String)>,
) -> Answer {
    let now = em.now_ms();
    let order = em.lock().reuse(now, &product, &number)?;
    Ok(Json(order.json_as_bought()))
}

async fn countries() -> Json<Value> {
    let mut out = Map::new();
    for c in catalog::COUNTRIES {
        let mut entry = Map::new();
        entry.insert("iso".into(), json!({ c.iso: 1 }));
        entry.insert("prefix".into(), json!({ c.prefix: 1 }));
        entry.insert("text_en".into(), json!(c.text_en));
        entry.insert("text_ru".into(), json!(c.text_ru));
        for op in c.operators {
            let flags = if c.hosts(op) {
                json!({"activation": 1, "hosting": 1})
            } else {
                json!({"activation": 1})
            };
            entry.insert((*op).to_owned(), flags);
        }
        out.insert(c.name.to_owned(), Value::Object(entry));
    }
    Json(Value::Object(out))
}

/// `/guest/products/{country}/{operator}`: each service (and, where the operator rents
/// numbers, each hosting length) with its lowest price and total stock.
async fn products(
    State(em): State<FiveSimEmulator>,
    Path((country, operator)): Path<(String, String)>,
) -> Answer {
    let c = catalog::country(&country).ok_or(Refusal {
        status: 400,
        body: "bad country",
    })?;
    if operator != "any" && !c.has_operator(&operator) {
        return Err(Refusal {
            status: 400,
            body: "bad operator",
        });
    }
    let ops: Vec<&str> = if operator == "any" {
        c.operators.to_vec()
    } else {
        vec![operator.as_str()]
    };
    let s = em.lock();
    let mut out = Map::new();
    let mut offer = |product: &str, category: &str, base: i64, ops: &[&str]| {
        if ops.is_empty() {
            return;
        }
        let price = ops
            .iter()
            .map(|op| s.price_of(c, product, base, op))
            .min()
            .unwrap_or_default();
        let qty: u64 = match s.stock.get(&(c.name.to_owned(), product.to_owned())) {
            Some(q) => *q,
            None => ops.iter().map(|op| c.stock(product, op)).sum(),
        };
        out.insert(
            product.to_owned(),
            json!({"Category": category, "Qty": qty, "Price": super::money(price)}),
        );
    };
    for (product, base, _) in catalog::SERVICES {
        offer(product, "activation", *base, &ops);
    }
    let hosting_ops: Vec<&str> = ops.iter().copied().filter(|op| c.hosts(op)).collect();
    for (product, _, base) in catalog::HOSTING {
        offer(product, "hosting", *base, &hosting_ops);
    }
    Ok(Json(Value::Object(out)))
}

#[derive(Deserialize)]
struct PricesQuery {
    country: Option<String>,
    product: Option<String>,
}

/// `/guest/prices`: `{country: {product: {operator: {cost, count, rate}}}}`, swapped to
/// `{product: {country: …}}` when only `product` is given; `null` when not offered.
async fn prices(
    State(em): State<FiveSimEmulator>,
    Query(q): Query<PricesQuery>,
) -> Result<Response, Refusal> {
    let countries: Vec<&catalog::CountryDef> = match q.country.as_deref() {
        Some(name) => vec![catalog::country(name).ok_or(Refusal {
            status: 400,
            body: "country is incorrect",
        })?],
        None => catalog::COUNTRIES.iter().collect(),
    };
    let products: Vec<(&str, i64)> = match q.product.as_deref() {
        Some(p) => match (catalog::service(p), catalog::hosting(p)) {
            (Some(s), _) => vec![(s.0, s.1)],
            (None, Some(h)) => vec![(h.0, h.2)],
            (None, None) => {
                return Err(Refusal {
                    status: 400,
                    body: "product is incorrect",
                })
            }
        },
        None => catalog::SERVICES.iter().map(|s| (s.0, s.1)).collect(),
    };
    let s = em.lock();
    let table = |c: &catalog::CountryDef, product: &str, base: i64| -> Option<Value> {
        let hosting = catalog::hosting(product).is_some();
        let mut ops = Map::new();
        for op in c.operators.iter().filter(|op| !hosting || c.hosts(op)) {
            let count = s.stock_of(c, product, op);
            ops.insert(
                (*op).to_owned(),
                json!({"cost": super::money(s.price_of(c, product, base, op)), "count": count, "rate": 90.5}),
            );
        }
        (!ops.is_empty()).then_some(Value::Object(ops))
    };
    let body = if q.product.is_some() && q.country.is_none() {
        let (product, base) = products[0];
        let by_country: Map<String, Value> = countries
            .iter()
            .filter_map(|c| Some((c.name.to_owned(), table(c, product, base)?)))
            .collect();
        json!({ product: by_country })
    } else {
        let mut out = Map::new();
        for c in &countries {
            let by_product: Map<String, Value> = products
                .iter()
                .filter_map(|(p, base)| Some(((*p).to_owned(), table(c, p, *base)?)))
                .collect();
            out.insert(c.name.to_owned(), Value::Object(by_product));
        }
        if q.country.is_some()
            && q.product.is_some()
            && out
                .values()
                .all(|v| v.as_object().is_some_and(Map::is_empty))
        {
            Value::Null
        } else {
            Value::Object(out)
        }
    };
    Ok(Json(body).into_response())
}

async fn flash(Path(_lang): Path<String>) -> Json<Value> {
    Json(json!({"text": "This is the Namaskah 5SIM emulator: no real numbers or money."}))
}
