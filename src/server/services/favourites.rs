//! What the pickers list first: the services and countries a user marked as favourites, then
//! the ones they bought lately.

use super::catalog::country_code;
use super::rentals::name_field;
use crate::api::dto::Choices;
use crate::server::state::AppState;
use crate::server::storage::favourites as store;
use crate::server::ServerError;

/// How many recently used services (and countries) are listed before the rest.
pub const RECENT: usize = 5;
/// How many favourites of each kind a user can keep.
pub const MAX_FAVOURITES: usize = 50;
/// How many of the latest purchases are looked at for the recent ones.
const LOOK_BACK: i64 = 50;

/// Which list a favourite belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Service,
    Country,
}

impl Kind {
    pub fn parse(raw: &str) -> Result<Self, ServerError> {
        match raw.trim() {
            "service" => Ok(Kind::Service),
            "country" => Ok(Kind::Country),
            _ => Err(ServerError::validation(
                "kind",
                "must be service or country",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Country => "country",
        }
    }
}

pub async fn choices(state: &AppState, user_id: i64) -> Result<Choices, ServerError> {
    let db = &state.db.pool;
    let mut out = Choices::default();
    for (kind, code) in store::list(db, user_id).await? {
        match kind.as_str() {
            "service" => out.favourite_services.push(code),
            _ => out.favourite_countries.push(code),
        }
    }
    for (service, country) in store::recent_purchases(db, user_id, LOOK_BACK).await? {
        remember(&mut out.recent_services, service);
        remember(&mut out.recent_countries, country);
    }
    Ok(out)
}

fn remember(list: &mut Vec<String>, code: String) {
    if list.len() < RECENT && !list.contains(&code) {
        list.push(code);
    }
}

/// Turns a favourite on or off (either is idempotent) and answers with the lists as they are now.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn set(
    state: &AppState,
    user_id: i64,
    kind: &str,
    code: &str,
    on: bool,
) -> Result<Choices, ServerError> {
    let kind = Kind::parse(kind)?;
    let code = match kind {
        Kind::Service => name_field("code", code)?,
        Kind::Country => country_code(code).map_err(|_| {
            ServerError::validation("code", "must be a two-letter ISO code such as GB")
        })?,
    };
    let db = &state.db.pool;
    if on {
        // Only the favourites count here, not what was bought lately.
        let kept: Vec<String> = store::list(db, user_id)
            .await?
            .into_iter()
            .filter(|(k, _)| k == kind.as_str())
            .map(|(_, c)| c)
            .collect();
        if kept.len() >= MAX_FAVOURITES && !kept.contains(&code) {
            return Err(ServerError::validation(
                "code",
                format!("cannot be added: {MAX_FAVOURITES} favourites is the most"),
            ));
        }
        store::insert(db, user_id, kind.as_str(), &code, state.clock.now_ms()).await?;
    } else {
        store::delete(db, user_id, kind.as_str(), &code).await?;
    }
    choices(state, user_id).await
}
