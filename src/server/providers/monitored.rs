//! A provider whose every call is timed and its outcome noted in its `Health`: the router
//! holds each provider this way, so purchases, polls and releases all count.

use super::health::{is_fault, Call, Health};
use super::{
    BuyActivation, BuyRental, Capabilities, Category, Country, Offer, OperatorPrice, OrderPage,
    ProviderBalance, ProviderError, ProviderOrder, ProviderResult, ProviderSms, SmsProvider,
};
use crate::server::metrics;
use async_trait::async_trait;
use rust_decimal::Decimal;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug)]
pub struct Monitored {
    inner: Arc<dyn SmsProvider>,
    pub health: Arc<Health>,
}

impl Monitored {
    pub fn new(inner: Arc<dyn SmsProvider>, health: Arc<Health>) -> Self {
        Monitored { inner, health }
    }

    /// Runs `call` (the provider's `endpoint`), notes its outcome in the health and metrics.
    async fn observe<T>(
        &self,
        kind: Call,
        endpoint: &'static str,
        call: impl Future<Output = ProviderResult<T>>,
    ) -> ProviderResult<T> {
        let started = Instant::now();
        let result = call.await;
        let outcome = result.as_ref().map_or_else(ProviderError::kind, |_| "ok");
        metrics::provider_call(self.inner.name(), endpoint, outcome, started.elapsed());
        let fault = result.as_ref().err().filter(|e| is_fault(e));
        // An answer that is neither a sale nor a fault ("no numbers", "not supported") says
        // nothing about the breaker either way.
        let kind = match (&result, fault) {
            (Err(_), None) => Call::Other,
            _ => kind,
        };
        self.health.record(kind, fault, started.elapsed());
        result
    }
}

#[async_trait]
impl SmsProvider for Monitored {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn balance(&self) -> ProviderResult<ProviderBalance> {
        self.observe(Call::Other, "balance", self.inner.balance())
            .await
    }

    async fn countries(&self) -> ProviderResult<Vec<Country>> {
        self.observe(Call::Other, "countries", self.inner.countries())
            .await
    }

    async fn offers(&self, country: &str, operator: Option<&str>) -> ProviderResult<Vec<Offer>> {
        self.observe(Call::Other, "offers", self.inner.offers(country, operator))
            .await
    }

    async fn prices(&self, country: &str, product: &str) -> ProviderResult<Vec<OperatorPrice>> {
        self.observe(Call::Other, "prices", self.inner.prices(country, product))
            .await
    }

    async fn buy_activation(&self, req: &BuyActivation) -> ProviderResult<ProviderOrder> {
        self.observe(
            Call::Purchase,
            "buy_activation",
            self.inner.buy_activation(req),
        )
        .await
    }

    async fn buy_rental(&self, req: &BuyRental) -> ProviderResult<ProviderOrder> {
        self.observe(Call::Purchase, "buy_rental", self.inner.buy_rental(req))
            .await
    }

    async fn check(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.observe(Call::Other, "check", self.inner.check(order_id))
            .await
    }

    async fn rental_messages(&self, order_id: &str) -> ProviderResult<Vec<ProviderSms>> {
        self.observe(
            Call::Other,
            "rental_messages",
            self.inner.rental_messages(order_id),
        )
        .await
    }

    async fn finish(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.observe(Call::Other, "finish", self.inner.finish(order_id))
            .await
    }

    async fn cancel(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.observe(Call::Other, "cancel", self.inner.cancel(order_id))
            .await
    }

    async fn ban(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.observe(Call::Other, "ban", self.inner.ban(order_id))
            .await
    }

    async fn release(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.observe(Call::Other, "release", self.inner.release(order_id))
            .await
    }

    async fn extend(&self, order_id: &str, hours: u32) -> ProviderResult<ProviderOrder> {
        self.observe(Call::Other, "extend", self.inner.extend(order_id, hours))
            .await
    }

    async fn reuse(
        &self,
        order_id: &str,
        product: &str,
        phone: &str,
    ) -> ProviderResult<ProviderOrder> {
        self.observe(
            Call::Purchase,
            "reuse",
            self.inner.reuse(order_id, product, phone),
        )
        .await
    }

    async fn reactivation_price(&self, order_id: &str) -> ProviderResult<Decimal> {
        self.observe(
            Call::Other,
            "reactivation_price",
            self.inner.reactivation_price(order_id),
        )
        .await
    }

    async fn reactivate(
        &self,
        order_id: &str,
        max_price: Decimal,
    ) -> ProviderResult<ProviderOrder> {
        self.observe(
            Call::Purchase,
            "reactivate",
            self.inner.reactivate(order_id, max_price),
        )
        .await
    }

    async fn orders(
        &self,
        category: Category,
        limit: u32,
        offset: u32,
    ) -> ProviderResult<OrderPage> {
        self.observe(
            Call::Other,
            "orders",
            self.inner.orders(category, limit, offset),
        )
        .await
    }
}
