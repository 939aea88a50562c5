//! History queries for rentals and verifications: paging and filters read the same way for
//! both, each table saying only which statuses it has.

use super::billing::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use super::catalog;
use crate::api::dto::HistoryQuery;
use crate::server::storage::history::HistoryFilter;
use crate::server::ServerError;

/// The last page anyone may ask for: further pages are refused rather than read as empty.
pub const MAX_PAGE: u32 = 1_000_000;

/// A page request, checked.
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    /// `?page=&per_page=`, checked: pages count from 1, at most `MAX_PER_PAGE` rows each.
    pub fn parse(page: Option<u32>, per_page: Option<u32>) -> Result<Paging, ServerError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 || page > MAX_PAGE {
            return Err(ServerError::validation(
                "page",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ServerError::validation(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        Ok(Paging { page, per_page })
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// The query as filters and a page; `statuses` are the ones this history knows.
pub fn parse(q: &HistoryQuery, statuses: &[&str]) -> Result<(HistoryFilter, Paging), ServerError> {
    let paging = Paging::parse(q.page, q.per_page)?;
    let status = match nonempty(&q.status).map(|s| s.to_lowercase()) {
        Some(s) if statuses.contains(&s.as_str()) => Some(s),
        Some(_) => {
            let (last, rest) = statuses.split_last().unwrap_or((&"", &[]));
            return Err(ServerError::validation(
                "status",
                format!("must be {} or {last}", rest.join(", ")),
            ));
        }
        None => None,
    };
    let filter = HistoryFilter {
        status,
        service: nonempty(&q.service).map(|s| s.to_lowercase()),
        country: nonempty(&q.country)
            .map(|c| catalog::country_code(&c))
            .transpose()?,
        provider: nonempty(&q.provider).map(|p| p.to_lowercase()),
        from: nonempty(&q.from)
            .map(|f| date_ms("from", &f, false))
            .transpose()?,
        to: nonempty(&q.to)
            .map(|t| date_ms("to", &t, true))
            .transpose()?,
        search: nonempty(&q.q).map(search_term).transpose()?,
    };
    Ok((filter, paging))
}

/// The longest search term taken, in characters (a long one is refused by SQLite's LIKE as
/// too complex, and nobody types one).
pub const MAX_SEARCH_CHARS: usize = 200;

fn search_term(q: String) -> Result<String, ServerError> {
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(ServerError::validation(
            "q",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok(q)
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A date (`YYYY-MM-DD`, the whole day; `end_of_day` makes it inclusive at the end) or an
/// RFC 3339 time, in ms since the epoch.
pub fn date_ms(field: &'static str, raw: &str, end_of_day: bool) -> Result<i64, ServerError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp_millis());
    }
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ServerError::validation(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
    })?;
    let day = if end_of_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp_millis())
}
