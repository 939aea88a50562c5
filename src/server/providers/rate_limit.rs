//! A token bucket: at most `rate` calls per second on average, bursts up to `rate`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn per_second(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        RateLimiter {
            rate,
            state: Mutex::new(Bucket {
                tokens: rate,
                updated: Instant::now(),
            }),
        }
    }

    /// Waits until a call may be made, then takes its token.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut b = self.state.lock().expect("rate limiter lock");
                let now = Instant::now();
                let refill = now.duration_since(b.updated).as_secs_f64() * self.rate;
                b.tokens = (b.tokens + refill).min(self.rate);
                b.updated = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - b.tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bursts_then_paces() {
        let limiter = RateLimiter::per_second(20);
        let start = Instant::now();
        for _ in 0..30 {
            limiter.acquire().await;
        }
        // 20 at once, the next 10 at 20/s: about half a second, never much less.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(450), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }
}
