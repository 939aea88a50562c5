//! The pollers in the real server process: a provider that hangs on some orders' polls holds
//! up those orders alone. Other rentals' messages and verifications' codes keep arriving.

use crate::process::World;
use namaskah::sandbox::traffic::{Fault, FaultKind};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long the hung polls wait at the provider: far longer than anything asserted below.
const HANG_MS: u64 = 20_000;
/// Rentals whose polls hang: more than one pass's worth.
const HUNG: usize = 12;

/// The provider's order id of the customer's rental or verification `id`.
async fn upstream_id(world: &World, table: &str, key: &str, id: i64) -> i64 {
    world
        .scalar(&format!(
            "select cast(provider_order_id as bigint) from {table} where {key} = {id} and user_id = $1"
        ))
        .await
}

#[tokio::test]
async fn polls_hanging_at_the_provider_hold_up_no_other_order() {
    let world = World::new().await;
    let server = world.start(None).await;
    let rent = json!({"service": "telegram", "country": "GB", "duration_hours": 2});
    let mut hung_paths = Vec::new();
    for _ in 0..HUNG {
        let (status, hung) = world
            .call(&server, "/api/rentals/create", rent.clone(), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{hung}");
        let upstream = upstream_id(&world, "rentals", "id", hung["id"].as_i64().unwrap()).await;
        // Its next poll hangs at the provider.
        let path = format!("/user/sms/inbox/{upstream}");
        world.upstream.traffic.add_fault(Fault {
            kind: FaultKind::Latency,
            status: None,
            latency_ms: Some(HANG_MS),
            count: Some(1),
            path_prefix: Some(path.clone()),
            action: None,
        });
        hung_paths.push(path);
    }
    let (status, other) = world.call(&server, "/api/rentals/create", rent, None).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other_upstream = upstream_id(&world, "rentals", "id", other["id"].as_i64().unwrap()).await;

    let hanging = |world: &World| {
        let log = world.upstream.traffic.requests();
        hung_paths
            .iter()
            .filter(|p| log.iter().any(|r| &r.path == *p && r.status.is_none()))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while hanging(&world) < HUNG {
        assert!(Instant::now() < deadline, "the rentals were never polled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let hung_at = Instant::now();

    // Meanwhile: an SMS for the other rental, and a verification bought and sent its code.
    let (status, v) = world
        .call(
            &server,
            "/api/verifications",
            json!({"service": "telegram", "country": "GB"}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let v_upstream = upstream_id(
        &world,
        "verification",
        "verification_id",
        v["id"].as_i64().unwrap(),
    )
    .await;
    {
        let now = world.upstream.now_ms();
        let mut upstream = world.upstream.lock();
        upstream
            .deliver(
                now,
                Some(other_upstream),
                None,
                "Telegram",
                "Your code 48213",
            )
            .expect("the other rental is live upstream");
        upstream
            .deliver(
                now,
                Some(v_upstream),
                None,
                "Telegram",
                "Telegram code 55120",
            )
            .expect("the verification is live upstream");
    }

    let messages = format!("/api/rentals/{}/messages", other["id"]);
    let verification = format!("/api/verifications/{}", v["id"]);
    loop {
        let got: Value = world
            .request(&server, Method::GET, &messages)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let code: Value = world
            .request(&server, Method::GET, &verification)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let arrived = got.to_string().contains("48213") && code["code"] == "55120";
        if arrived {
            break;
        }
        assert!(
            hung_at.elapsed() < Duration::from_millis(HANG_MS / 4),
            "waited {:?} behind the hanging poll: messages {got}, verification {code}",
            hung_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hanging(&world), HUNG, "the hung polls are still hanging");
    world.assert_invariants().await;
}
