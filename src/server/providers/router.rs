//! The provider router: the providers in order of preference. A purchase goes to the first
//! that can serve it and moves on when an error says another provider might (no numbers, a
//! fault); an error that would repeat anywhere (a bad request) stops it. Later calls on an
//! order go to the provider that sold it.

use super::{BuyActivation, ProviderError, ProviderOrder, SmsProvider};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct ProviderRouter {
    providers: Vec<Arc<dyn SmsProvider>>,
}

impl ProviderRouter {
    pub fn new(providers: Vec<Arc<dyn SmsProvider>>) -> Self {
        ProviderRouter { providers }
    }

    /// Every provider, in order of preference.
    pub fn all(&self) -> &[Arc<dyn SmsProvider>] {
        &self.providers
    }

    /// The provider named `name`, for calls on an order it sold.
    pub fn get(&self, name: &str) -> Result<&Arc<dyn SmsProvider>, ProviderError> {
        self.providers
            .iter()
            .find(|p| p.name() == name)
            .ok_or(ProviderError::Unsupported(
                "orders from a provider no longer configured",
            ))
    }

    /// Buys an activation from the first provider that has one.
    pub async fn buy_activation(
        &self,
        req: &BuyActivation,
    ) -> Result<(&Arc<dyn SmsProvider>, ProviderOrder), ProviderError> {
        let mut last = ProviderError::NoNumbers;
        for provider in self
            .providers
            .iter()
            .filter(|p| p.capabilities().activation)
        {
            match provider.buy_activation(req).await {
                Ok(order) => return Ok((provider, order)),
                Err(e) if e.fails_over() => {
                    tracing::warn!(provider = provider.name(), error = %e, "activation purchase failed; trying the next provider");
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }
}
