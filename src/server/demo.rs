//! `namaskah seed-demo`: a made-up history for the console and the analytics benchmark.
//! Customers join over the period and the busiest buy most; demand grows, dips at weekends and
//! varies day to day; each provider has its own prices, SMS rate and faults. Every rental,
//! message, verification and ledger row is what the app itself would have written, with the
//! activity rows its analytics count (folded into the rollups at the end), and every balance
//! is the sum of its ledger.

use crate::domain::analytics::{delay_band, DAY_MS, HOUR_MS};
use crate::server::state::AppState;
use crate::server::storage::activity;
use crate::server::storage::bulk::{self, Cell};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to make.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub rentals: u64,
    pub messages: u64,
    pub verifications: u64,
    pub customers: u64,
    pub days: u64,
    pub seed: u64,
}

/// What was made.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Made {
    pub customers: u64,
    pub rentals: u64,
    pub messages: u64,
    pub verifications: u64,
    pub activity: u64,
    pub seconds: f64,
}

/// Demo accounts' addresses end with this; a database that has them is not seeded again.
pub const EMAIL_DOMAIN: &str = "@demo.namaskah.test";

const SERVICES: &[(&str, u32, i64)] = &[
    // (service, weight, the provider's price of a day's rental in 1/10000 USD)
    ("telegram", 30, 9_000),
    ("whatsapp", 25, 11_000),
    ("google", 12, 8_000),
    ("facebook", 8, 7_000),
    ("instagram", 7, 7_500),
    ("tiktok", 6, 6_000),
    ("discord", 4, 5_000),
    ("uber", 3, 6_500),
    ("amazon", 3, 7_000),
    ("openai", 2, 12_000),
];
const COUNTRIES: &[(&str, u32)] = &[
    ("US", 30),
    ("GB", 20),
    ("DE", 10),
    ("FR", 8),
    ("IN", 8),
    ("BR", 6),
    ("ID", 6),
    ("PH", 5),
    ("NL", 4),
    ("CA", 3),
];
/// (provider, weight, price factor in %, chance of an SMS in %, chance of a fault in ‰)
const PROVIDERS: &[(&str, u32, i64, u32, u32)] = &[
    ("5sim", 55, 100, 90, 10),
    ("sms-activate", 30, 85, 92, 30),
    ("textverified", 15, 115, 95, 5),
];
const HOURS: &[(i64, u32)] = &[
    (1, 5),
    (4, 10),
    (12, 10),
    (24, 45),
    (72, 10),
    (168, 12),
    (720, 8),
];
/// Our price is the provider's times this (`PRICE_MARKUP`'s default), in %.
const MARKUP: i64 = 150;

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut at = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if at < w {
            return item;
        }
        at -= w;
    }
    &items[items.len() - 1]
}

/// A table's name, its columns, whether the first is an id given here, and rows for it.
type Table<'a> = (
    &'static str,
    &'static [&'static str],
    bool,
    &'a mut Vec<Vec<Cell>>,
);

/// Rows waiting to be written, by table.
#[derive(Default)]
struct Batch {
    users: Vec<Vec<Cell>>,
    ledger: Vec<Vec<Cell>>,
    rentals: Vec<Vec<Cell>>,
    messages: Vec<Vec<Cell>>,
    verifications: Vec<Vec<Cell>>,
    verification_messages: Vec<Vec<Cell>>,
    activity: Vec<Vec<Cell>>,
}

impl Batch {
    fn len(&self) -> usize {
        self.users.len()
            + self.ledger.len()
            + self.rentals.len()
            + self.messages.len()
            + self.verifications.len()
            + self.verification_messages.len()
            + self.activity.len()
    }

    async fn write(&mut self, state: &AppState) -> Result<(), sqlx::Error> {
        let backend = state.db.backend;
        let mut tx = state.db.begin_write().await?;
        let tables: [Table<'_>; 7] = [
            (
                "app_user",
                &[
                    "user_id",
                    "email",
                    "password_hash",
                    "role",
                    "balance_units",
                    "created_at",
                    "updated_at",
                    "email_verified_at",
                ],
                true,
                &mut self.users,
            ),
            (
                "ledger_entry",
                &[
                    "user_id",
                    "amount_units",
                    "balance_after_units",
                    "kind",
                    "note",
                    "created_at",
                ],
                false,
                &mut self.ledger,
            ),
            (
                "rentals",
                &[
                    "id",
                    "user_id",
                    "phone_number",
                    "service_name",
                    "country_code",
                    "expires_at",
                    "created_at",
                    "status",
                    "cost",
                    "provider",
                    "provider_order_id",
                    "duration_hours",
                    "original_hours",
                    "hourly_price",
                    "auto_renew",
                    "upstream_expires_at",
                    "released_at",
                    "updated_at",
                    "next_poll_at",
                    "message_count",
                    "read_count",
                    "last_code",
                    "provider_cost",
                    "upstream_closed_at",
                    "revision",
                    "first_sms_at",
                ],
                true,
                &mut self.rentals,
            ),
            (
                "rental_messages",
                &[
                    "rental_id",
                    "provider_message_id",
                    "sender",
                    "text",
                    "code",
                    "received_at",
                ],
                false,
                &mut self.messages,
            ),
            (
                "verification",
                &[
                    "verification_id",
                    "user_id",
                    "provider",
                    "provider_order_id",
                    "phone_number",
                    "service_name",
                    "country_code",
                    "status",
                    "cost",
                    "code",
                    "created_at",
                    "expires_at",
                    "updated_at",
                    "finished_at",
                    "next_poll_at",
                    "provider_cost",
                    "upstream_closed_at",
                    "revision",
                    "first_sms_at",
                ],
                true,
                &mut self.verifications,
            ),
            (
                "verification_message",
                &[
                    "verification_id",
                    "provider_message_id",
                    "sender",
                    "text",
                    "code",
                    "received_at",
                ],
                false,
                &mut self.verification_messages,
            ),
            (
                "activity",
                &[
                    "at",
                    "product",
                    "event",
                    "user_id",
                    "service",
                    "country",
                    "provider",
                    "detail",
                    "amount_units",
                    "cost_units",
                    "value_ms",
                ],
                false,
                &mut self.activity,
            ),
        ];
        for (table, columns, ids, rows) in tables {
            bulk::insert(&mut tx, backend, table, columns, ids, rows).await?;
            rows.clear();
        }
        tx.commit().await
    }
}

/// One customer as the generator keeps them: when they joined and what they spent.
struct Customer {
    id: i64,
    joined: i64,
    spent: i64,
}

/// An activity row.
#[allow(clippy::too_many_arguments)]
fn act(
    at: i64,
    product: &str,
    event: &str,
    user: i64,
    offer: (&str, &str, &str),
    detail: &str,
    amount: i64,
    cost: i64,
    value: i64,
) -> Vec<Cell> {
    vec![
        at.into(),
        product.into(),
        event.into(),
        user.into(),
        offer.0.into(),
        offer.1.into(),
        offer.2.into(),
        detail.into(),
        amount.into(),
        cost.into(),
        value.into(),
    ]
}

/// How many rows a batch holds before it is written.
const BATCH_ROWS: usize = 60_000;

pub async fn seed(state: &AppState, plan: Plan) -> anyhow::Result<Made> {
    let started = std::time::Instant::now();
    anyhow::ensure!(
        plan.customers > 0 && plan.days > 0,
        "--customers and --days must be at least 1"
    );
    if bulk::any_email_ending(&state.db, EMAIL_DOMAIN).await? {
        anyhow::bail!(
            "this database already has the demo's customers ({EMAIL_DOMAIN}); seed a fresh one"
        );
    }
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let now = state.clock.now_ms();
    let today = now - now % DAY_MS;
    let first_day = today - (plan.days as i64 - 1) * DAY_MS;
    let first_user = bulk::max_id(&state.db, "app_user", "user_id").await? + 1;
    let mut rental_id = bulk::max_id(&state.db, "rentals", "id").await?;
    let mut verification_id = bulk::max_id(&state.db, "verification", "verification_id").await?;
    // Customers join over the first nine tenths of the period.
    let mut customers: Vec<Customer> = (0..plan.customers as i64)
        .map(|i| Customer {
            id: first_user + i,
            joined: first_day
                + (i as f64 / plan.customers as f64 * 0.9 * plan.days as f64 * DAY_MS as f64)
                    as i64,
            spent: 0,
        })
        .collect();
    // Demand per day: growing by half over the period, lower at weekends, ±15 % noise.
    let weights: Vec<f64> = (0..plan.days as i64)
        .map(|d| {
            let day = first_day + d * DAY_MS;
            let weekday = ((day / DAY_MS) + 3) % 7; // 0 = Monday
            let weekend = if weekday >= 5 { 0.7 } else { 1.0 };
            (1.0 + 0.5 * d as f64 / plan.days as f64) * weekend * rng.gen_range(0.85..1.15)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let share = |n: u64, w: f64| (n as f64 * w / total).round() as u64;
    let messages_per_rental = plan.messages as f64 / plan.rentals.max(1) as f64;
    let mut made = Made {
        customers: plan.customers,
        ..Made::default()
    };
    let mut batch = Batch::default();
    // The accounts first: everything else names them.
    for c in &customers {
        batch.users.push(vec![
            c.id.into(),
            format!("customer-{}{EMAIL_DOMAIN}", c.id).into(),
            // No password signs in to a demo account.
            "!".into(),
            "user".into(),
            0i64.into(),
            c.joined.into(),
            now.into(),
            Some(c.joined).into(),
        ]);
    }
    batch.write(state).await?;
    for (d, w) in weights.iter().enumerate() {
        let day = first_day + d as i64 * DAY_MS;
        let joined = customers.partition_point(|c| c.joined <= day).max(1);
        for _ in 0..share(plan.rentals, *w) {
            rental_id += 1;
            let who = (joined as f64 * rng.gen::<f64>().powf(1.6)) as usize;
            let customer = &mut customers[who.min(joined - 1)];
            made.messages += rental(
                &mut rng,
                &mut batch,
                rental_id,
                customer,
                day,
                now,
                messages_per_rental,
            );
            made.rentals += 1;
        }
        for _ in 0..share(plan.verifications, *w) {
            verification_id += 1;
            let who = (joined as f64 * rng.gen::<f64>().powf(1.6)) as usize;
            let customer = &mut customers[who.min(joined - 1)];
            verification(&mut rng, &mut batch, verification_id, customer, day, now);
            made.verifications += 1;
        }
        if batch.len() >= BATCH_ROWS {
            made.activity += batch.activity.len() as u64;
            batch.write(state).await?;
        }
    }
    made.activity += batch.activity.len() as u64;
    // Each customer topped up what they spent and some more: two ledger rows, and the
    // balance they leave.
    for c in &customers {
        let left = rng.gen_range(0..500_000);
        let topped = c.spent + left;
        batch.ledger.push(vec![
            c.id.into(),
            topped.into(),
            topped.into(),
            "credit".into(),
            "Demo top-up".into(),
            c.joined.into(),
        ]);
        batch.ledger.push(vec![
            c.id.into(),
            (-c.spent).into(),
            left.into(),
            "demo_spend".into(),
            "Demo purchases, less refunds".into(),
            now.into(),
        ]);
        if batch.len() >= BATCH_ROWS {
            batch.write(state).await?;
        }
    }
    batch.write(state).await?;
    bulk::settle_balances(&state.db, EMAIL_DOMAIN).await?;
    for (table, column) in [
        ("app_user", "user_id"),
        ("rentals", "id"),
        ("verification", "verification_id"),
    ] {
        bulk::resume_ids(&state.db, table, column).await?;
    }
    while activity::fold(&state.db, 200_000).await? > 0 {}
    bulk::analyze(&state.db).await?;
    made.seconds = started.elapsed().as_secs_f64();
    Ok(made)
}

/// One rental bought on `day` by `customer`, with its messages and activity; how many
/// messages it got.
fn rental(
    rng: &mut StdRng,
    batch: &mut Batch,
    id: i64,
    customer: &mut Customer,
    day: i64,
    now: i64,
    messages_per_rental: f64,
) -> u64 {
    let &(service, _, day_price) = pick(rng, SERVICES, |s| s.1);
    let &(country, _) = pick(rng, COUNTRIES, |c| c.1);
    let &(provider, _, factor, sms_chance, fault) = pick(rng, PROVIDERS, |p| p.1);
    let &(hours, _) = pick(rng, HOURS, |h| h.1);
    let created = (day + rng.gen_range(0..DAY_MS))
        .max(customer.joined)
        .min(now - 1);
    // Longer rentals cost less per hour.
    let provider_cost =
        (day_price * factor / 100) * hours.max(2) / 24 * rng.gen_range(90..=110) / 100;
    let provider_cost = provider_cost.max(500);
    let price = provider_cost * MARKUP / 100;
    let hourly = price as f64 / 10_000.0 / hours as f64;
    let auto_renew = rng.gen_bool(0.12);
    let extension = rng.gen_bool(0.10).then(|| (hours / 2).max(1));
    let extra = extension.map_or(0, |h| (hourly * 0.5 * h as f64 * 10_000.0) as i64);
    let expires = created + (hours + extension.unwrap_or(0)) * HOUR_MS;
    let offer = (service, country, provider);
    let user = customer.id;
    // A fault at another provider first, now and then: a failover.
    if rng.gen_range(0..1000) < fault * 3 {
        let other = PROVIDERS
            .iter()
            .find(|p| p.0 != provider)
            .map_or("5sim", |p| p.0);
        batch.activity.push(act(
            created,
            "rental",
            "failover",
            user,
            (service, country, other),
            "timeout",
            0,
            0,
            0,
        ));
        batch.activity.push(act(
            created,
            "rental",
            "attempt",
            user,
            (service, country, other),
            "timeout",
            0,
            0,
            0,
        ));
    }
    batch.activity.push(act(
        created, "rental", "attempt", user, offer, "ok", 0, 0, 0,
    ));
    batch.activity.push(act(
        created,
        "rental",
        "started",
        user,
        offer,
        if auto_renew { "auto_renew" } else { "" },
        price,
        provider_cost,
        hours * HOUR_MS,
    ));
    if let Some(h) = extension {
        let at = (created + hours * HOUR_MS / 2).min(now - 1);
        batch.activity.push(act(
            at,
            "rental",
            "extended",
            user,
            offer,
            "manual",
            extra,
            0,
            h * HOUR_MS,
        ));
    }
    let (status, ended, refund) = if expires > now {
        ("active", None, 0)
    } else if rng.gen_bool(0.15) {
        let held = rng.gen_range(HOUR_MS / 4..=(expires - created).max(HOUR_MS / 4));
        let at = created + held;
        let unused = (expires - at) / HOUR_MS;
        (
            "released",
            Some(at),
            (hourly * 0.5 * unused as f64 * 10_000.0) as i64,
        )
    } else {
        ("expired", Some(expires), 0)
    };
    let end = ended.unwrap_or(now);
    // Messages: most rentals get some, the first within a minute or so.
    let mut count = 0u64;
    let mut first_sms = None;
    let mut last_code = None;
    if rng.gen_range(0..100) < sms_chance {
        // A tenth more: some would come after the rental ended, and are not sent.
        let mean = (messages_per_rental * 110.0 / f64::from(sms_chance)).max(1.0);
        let n = 1 + (-(rng.gen::<f64>().max(1e-9)).ln() * (mean - 1.0)) as u64;
        let delay = (rng.gen_range(2.5f64..5.5).exp() * 1000.0) as i64;
        let mut at = created + delay;
        for k in 0..n {
            if at >= end {
                break;
            }
            let code = format!("{:06}", rng.gen_range(0..1_000_000));
            batch.messages.push(vec![
                id.into(),
                format!("m{k}").into(),
                service.into(),
                format!("Your {service} code is {code}").into(),
                code.clone().into(),
                at.into(),
            ]);
            if k == 0 {
                first_sms = Some(at);
                batch.activity.push(act(
                    at,
                    "rental",
                    "first_sms",
                    user,
                    offer,
                    &delay_band(at - created),
                    0,
                    0,
                    at - created,
                ));
            }
            last_code = Some(code);
            count += 1;
            at += rng.gen_range(60_000..(end - created).max(120_000) / (n as i64) + 120_000);
        }
    }
    if let Some(at) = ended {
        let event = if status == "released" {
            "released"
        } else {
            "expired"
        };
        batch.activity.push(act(
            at,
            "rental",
            event,
            user,
            offer,
            "",
            0,
            0,
            at - created,
        ));
        if refund > 0 {
            batch.activity.push(act(
                at,
                "rental",
                "refunded",
                user,
                offer,
                "early_release",
                refund,
                0,
                0,
            ));
        }
    }
    customer.spent += price + extra - refund;
    batch.rentals.push(vec![
        id.into(),
        user.into(),
        format!("+1555{:07}", id % 10_000_000).into(),
        service.into(),
        country.into(),
        expires.into(),
        created.into(),
        status.into(),
        (price + extra).into(),
        provider.into(),
        format!("demo-{id}").into(),
        (hours + extension.unwrap_or(0)).into(),
        hours.into(),
        format!("{hourly:.6}").into(),
        i64::from(auto_renew).into(),
        expires.into(),
        (status == "released").then_some(end).into(),
        end.into(),
        expires.into(),
        (count as i64).into(),
        (if ended.is_some() { count as i64 } else { 0 }).into(),
        last_code.into(),
        Some(provider_cost).into(),
        ended.into(),
        (1 + i64::from(extension.is_some())).into(),
        first_sms.into(),
    ]);
    count
}

/// One verification bought on `day` by `customer`: finished with a code, or timed out or
/// cancelled and refunded.
fn verification(
    rng: &mut StdRng,
    batch: &mut Batch,
    id: i64,
    customer: &mut Customer,
    day: i64,
    now: i64,
) {
    let &(service, _, day_price) = pick(rng, SERVICES, |s| s.1);
    let &(country, _) = pick(rng, COUNTRIES, |c| c.1);
    let &(provider, _, factor, sms_chance, _) = pick(rng, PROVIDERS, |p| p.1);
    let created = (day + rng.gen_range(0..DAY_MS))
        .max(customer.joined)
        .min(now - 1);
    let provider_cost = (day_price / 6 * factor / 100 * rng.gen_range(90..=110) / 100).max(300);
    let price = provider_cost * MARKUP / 100;
    let offer = (service, country, provider);
    let user = customer.id;
    batch.activity.push(act(
        created,
        "verification",
        "attempt",
        user,
        offer,
        "ok",
        0,
        0,
        0,
    ));
    batch.activity.push(act(
        created,
        "verification",
        "started",
        user,
        offer,
        "",
        price,
        provider_cost,
        0,
    ));
    let received = rng.gen_range(0..100) < sms_chance;
    let delay = (rng.gen_range(2.5f64..5.0).exp() * 1000.0) as i64;
    let (status, code, ended, first) = if received {
        let at = created + delay;
        let code = format!("{:05}", rng.gen_range(0..100_000));
        batch.verification_messages.push(vec![
            id.into(),
            "m0".into(),
            service.into(),
            format!("{code} is your {service} code").into(),
            code.clone().into(),
            at.into(),
        ]);
        batch.activity.push(act(
            at,
            "verification",
            "first_sms",
            user,
            offer,
            &delay_band(delay),
            0,
            0,
            delay,
        ));
        let done = (at + rng.gen_range(5_000..120_000)).min(now - 1);
        batch.activity.push(act(
            done,
            "verification",
            "finished",
            user,
            offer,
            "",
            0,
            0,
            done - created,
        ));
        customer.spent += price;
        ("finished", Some(code), done, Some(at))
    } else {
        let (status, done) = if rng.gen_bool(0.7) {
            ("timed_out", created + 20 * 60_000)
        } else {
            ("cancelled", created + rng.gen_range(30_000..600_000))
        };
        let done = done.min(now - 1);
        batch.activity.push(act(
            done,
            "verification",
            status,
            user,
            offer,
            "",
            0,
            0,
            done - created,
        ));
        batch.activity.push(act(
            done,
            "verification",
            "refunded",
            user,
            offer,
            status,
            price,
            -provider_cost,
            0,
        ));
        (status, None, done, None)
    };
    batch.verifications.push(vec![
        id.into(),
        user.into(),
        provider.into(),
        format!("demo-v{id}").into(),
        format!("+1666{:07}", id % 10_000_000).into(),
        service.into(),
        country.into(),
        status.into(),
        price.into(),
        code.into(),
        created.into(),
        (created + 20 * 60_000).into(),
        ended.into(),
        (status == "finished").then_some(ended).into(),
        ended.into(),
        Some(provider_cost).into(),
        Some(ended).into(),
        1i64.into(),
        first.into(),
    ]);
}
