//! What a `handler_api.php` request asks, parsed from its parameters (query and form, merged)
//! in the protocol's own terms: a missing or malformed parameter is refused with the token the
//! protocol uses for it (`BAD_SERVICE`, `NO_ACTIVATION`, `BAD_TIME`…). Service codes and
//! country ids are the protocol's, mapped to ours by the one table in
//! `providers::sms_activate::codes`.

use crate::server::providers::sms_activate::codes;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The rent length when a request names none: the protocol's shortest.
pub const DEFAULT_RENT_HOURS: u32 = 4;
/// The longest rent or extension a request may name (a year), before any other rule.
pub const MOST_RENT_HOURS: u32 = 24 * 366;
/// Rent ids are this plus the rental's id in our REST API. The protocol has one id space for
/// activations and rents (a client asks `getStatus` first, then `getRentStatus`), so rent ids
/// must never equal an activation's.
pub const RENT_ID_BASE: i64 = 1_000_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Balance,
    Countries,
    ServicesList,
    Prices {
        /// Our service name.
        service: Option<&'static str>,
        country: Option<u32>,
    },
    NumbersStatus {
        country: u32,
    },
    Number {
        /// Our service name.
        service: &'static str,
        country: u32,
        max_price: Option<Decimal>,
        /// `getNumberV2`: JSON instead of `ACCESS_NUMBER:…`.
        v2: bool,
    },
    Status {
        id: i64,
    },
    FullSms {
        id: i64,
    },
    SetStatus {
        id: i64,
        change: ActivationChange,
    },
    ActiveActivations,
    RentServices {
        hours: u32,
        country: u32,
    },
    RentNumber {
        /// Our service name, or `None` for `full` (any sender).
        service: Option<&'static str>,
        hours: u32,
        country: u32,
    },
    RentStatus {
        rental_id: i64,
    },
    SetRentStatus {
        rental_id: i64,
        change: RentChange,
    },
    RentList,
    ContinuePrice {
        rental_id: i64,
        hours: u32,
    },
    Continue {
        rental_id: i64,
        hours: u32,
    },
}

/// `setStatus`'s `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationChange {
    /// 1: the SMS was sent (nothing changes).
    Ready,
    /// 3: another code is wanted.
    Retry,
    /// 6: done.
    Complete,
    /// 8: cancel (refunded in full before any SMS).
    Cancel,
}

/// `setRentStatus`'s `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RentChange {
    /// 1: finish.
    Finish,
    /// 2: cancel.
    Cancel,
}

/// A request refused before anything is done: the protocol's token, and whether the action
/// answers as the rent API does (JSON) or with a plain token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub token: String,
    pub rent: bool,
}

impl Request {
    /// Whether the action answers as the rent API does: JSON, errors included.
    pub fn is_rent(&self) -> bool {
        matches!(
            self,
            Request::RentServices { .. }
                | Request::RentNumber { .. }
                | Request::RentStatus { .. }
                | Request::SetRentStatus { .. }
                | Request::RentList
                | Request::ContinuePrice { .. }
                | Request::Continue { .. }
        )
    }

    /// Whether the request buys something (counted by the purchase rate limit).
    pub fn is_purchase(&self) -> bool {
        matches!(
            self,
            Request::Number { .. } | Request::RentNumber { .. } | Request::Continue { .. }
        )
    }

    /// Parses the request's parameters (everything but `api_key`, which the caller checks
    /// first). Unknown parameters are ignored, as the protocol's servers do.
    pub fn parse<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<Request, Refused> {
        let get = |name: &str| {
            params
                .clone()
                .into_iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let action = get("action").unwrap_or_default();
        let rent = RENT_ACTIONS.contains(&action);
        let refuse = |token: &str| Refused {
            token: token.to_owned(),
            rent,
        };
        let country = || match get("country") {
            None => Ok(0),
            Some(v) => v.parse::<u32>().map_err(|_| refuse("BAD_COUNTRY")),
        };
        let hours = || match get("rent_time").or_else(|| get("time")) {
            None => Ok(DEFAULT_RENT_HOURS),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=MOST_RENT_HOURS).contains(h))
                .ok_or_else(|| refuse("BAD_TIME")),
        };
        let activation_id = || positive_id(get("id")).ok_or_else(|| refuse("NO_ACTIVATION"));
        let rental_id = || {
            positive_id(get("id"))
                .and_then(|id| id.checked_sub(RENT_ID_BASE))
                .filter(|id| *id > 0)
                .ok_or_else(|| refuse("NO_ID_RENT"))
        };
        let service = |name: Option<&str>| {
            name.and_then(codes::service_name)
                .ok_or_else(|| refuse("BAD_SERVICE"))
        };
        Ok(match action {
            "getBalance" | "getBalanceAndCashBack" => Request::Balance,
            "getCountries" => Request::Countries,
            "getServicesList" => Request::ServicesList,
            "getPrices" => Request::Prices {
                service: match get("service") {
                    None => None,
                    some => Some(service(some)?),
                },
                country: match get("country") {
                    None => None,
                    Some(_) => Some(country()?),
                },
            },
            "getNumbersStatus" => Request::NumbersStatus {
                country: country()?,
            },
            "getNumber" | "getNumberV2" => Request::Number {
                service: service(get("service"))?,
                country: country()?,
                max_price: match get("maxPrice") {
                    None => None,
                    Some(v) => Some(
                        Decimal::from_str(v)
                            .ok()
                            .filter(|p| p.is_sign_positive() && !p.is_zero())
                            .ok_or_else(|| refuse("WRONG_MAX_PRICE:0"))?,
                    ),
                },
                v2: action == "getNumberV2",
            },
            "getStatus" => Request::Status {
                id: activation_id()?,
            },
            "getFullSms" => Request::FullSms {
                id: activation_id()?,
            },
            "setStatus" => {
                let id = activation_id()?;
                let change = match get("status") {
                    Some("1") => ActivationChange::Ready,
                    Some("3") => ActivationChange::Retry,
                    Some("6") => ActivationChange::Complete,
                    Some("8") => ActivationChange::Cancel,
                    _ => return Err(refuse("BAD_STATUS")),
                };
                Request::SetStatus { id, change }
            }
            "getActiveActivations" => Request::ActiveActivations,
            "getRentServicesAndCountries" => Request::RentServices {
                hours: hours()?,
                country: country()?,
            },
            "getRentNumber" => Request::RentNumber {
                service: match get("service") {
                    None | Some(codes::ANY_SERVICE) => None,
                    some => Some(service(some)?),
                },
                hours: hours()?,
                country: country()?,
            },
            "getRentStatus" => Request::RentStatus {
                rental_id: rental_id()?,
            },
            "setRentStatus" => {
                let rental_id = rental_id()?;
                let change = match get("status") {
                    Some("1") => RentChange::Finish,
                    Some("2") => RentChange::Cancel,
                    _ => return Err(refuse("INCORECT_STATUS")),
                };
                Request::SetRentStatus { rental_id, change }
            }
            "getRentList" => Request::RentList,
            "getContinueRentPriceNumber" => Request::ContinuePrice {
                rental_id: rental_id()?,
                hours: hours()?,
            },
            "continueRentNumber" => Request::Continue {
                rental_id: rental_id()?,
                hours: hours()?,
            },
            _ => return Err(refuse("BAD_ACTION")),
        })
    }
}

/// The rent API's actions: they answer JSON, errors included.
const RENT_ACTIONS: [&str; 7] = [
    "getRentServicesAndCountries",
    "getRentNumber",
    "getRentStatus",
    "setRentStatus",
    "getRentList",
    "getContinueRentPriceNumber",
    "continueRentNumber",
];

fn positive_id(raw: Option<&str>) -> Option<i64> {
    raw.and_then(|v| v.parse::<i64>().ok()).filter(|id| *id > 0)
}

/// A rental's id as the protocol gives it.
pub fn rent_id(rental_id: i64) -> i64 {
    RENT_ID_BASE + rental_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Request, Refused> {
        Request::parse(pairs.iter().copied())
    }

    fn refused(token: &str, rent: bool) -> Result<Request, Refused> {
        Err(Refused {
            token: token.to_owned(),
            rent,
        })
    }

    #[test]
    fn each_action_is_read_in_the_protocols_terms() {
        assert_eq!(
            parse(&[
                ("action", "getNumberV2"),
                ("service", "tg"),
                ("country", "16"),
                ("maxPrice", "0.5")
            ]),
            Ok(Request::Number {
                service: "telegram",
                country: 16,
                max_price: Some(Decimal::new(5, 1)),
                v2: true
            })
        );
        assert_eq!(
            parse(&[("action", "getNumber"), ("service", "wa")]),
            Ok(Request::Number {
                service: "whatsapp",
                country: 0,
                max_price: None,
                v2: false
            })
        );
        assert_eq!(
            parse(&[("action", "setStatus"), ("id", "7"), ("status", "8")]),
            Ok(Request::SetStatus {
                id: 7,
                change: ActivationChange::Cancel
            })
        );
        assert_eq!(
            parse(&[
                ("action", "getRentNumber"),
                ("time", "12"),
                ("country", "16")
            ]),
            Ok(Request::RentNumber {
                service: None,
                hours: 12,
                country: 16
            })
        );
        assert_eq!(
            parse(&[("action", "continueRentNumber"), ("id", "1000000000042")]),
            Ok(Request::Continue {
                rental_id: 42,
                hours: DEFAULT_RENT_HOURS
            })
        );
        assert_eq!(
            parse(&[("action", "getBalanceAndCashBack")]),
            Ok(Request::Balance)
        );
    }

    #[test]
    fn what_is_missing_or_malformed_gets_the_protocols_token() {
        assert_eq!(parse(&[]), refused("BAD_ACTION", false));
        assert_eq!(
            parse(&[("action", "getnumber")]),
            refused("BAD_ACTION", false)
        );
        assert_eq!(
            parse(&[("action", "getNumber")]),
            refused("BAD_SERVICE", false)
        );
        assert_eq!(
            parse(&[("action", "getNumber"), ("service", "zz")]),
            refused("BAD_SERVICE", false)
        );
        assert_eq!(
            parse(&[
                ("action", "getNumber"),
                ("service", "tg"),
                ("country", "GB")
            ]),
            refused("BAD_COUNTRY", false)
        );
        assert_eq!(
            parse(&[
                ("action", "getNumber"),
                ("service", "tg"),
                ("maxPrice", "-1")
            ]),
            refused("WRONG_MAX_PRICE:0", false)
        );
        assert_eq!(
            parse(&[("action", "getStatus")]),
            refused("NO_ACTIVATION", false)
        );
        assert_eq!(
            parse(&[("action", "setStatus"), ("id", "3"), ("status", "2")]),
            refused("BAD_STATUS", false)
        );
        assert_eq!(
            parse(&[("action", "getRentStatus"), ("id", "42")]),
            refused("NO_ID_RENT", true),
            "an activation's id is no rent's"
        );
        assert_eq!(
            parse(&[("action", "getRentNumber"), ("rent_time", "0")]),
            refused("BAD_TIME", true)
        );
        assert_eq!(
            parse(&[
                ("action", "setRentStatus"),
                ("id", "1000000000001"),
                ("status", "3")
            ]),
            refused("INCORECT_STATUS", true)
        );
    }

    proptest! {
        /// Whatever the parameters, parsing answers (never panics), and a refusal is a token
        /// in the protocol's alphabet, shaped as the action's family answers.
        #[test]
        fn any_parameters_parse_or_are_refused_with_a_token(
            pairs in proptest::collection::vec(
                (
                    prop_oneof![
                        Just("action".to_owned()), Just("id".to_owned()),
                        Just("service".to_owned()), Just("country".to_owned()),
                        Just("status".to_owned()), Just("rent_time".to_owned()),
                        Just("maxPrice".to_owned()), "[a-zA-Z_]{0,12}",
                    ],
                    prop_oneof![
                        Just("getNumber".to_owned()), Just("getRentNumber".to_owned()),
                        Just("setStatus".to_owned()), Just("getRentStatus".to_owned()),
                        Just("tg".to_owned()), Just("full".to_owned()),
                        "-?[0-9]{0,20}", "[0-9]{0,3}\\.[0-9]{0,30}", "\\PC{0,16}",
                    ],
                ),
                0..8,
            )
        ) {
            let params: Vec<(&str, &str)> =
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            match Request::parse(params.iter().copied()) {
                Ok(request) => {
                    let action = params.iter().find(|(k, _)| *k == "action").map(|(_, v)| v.trim());
                    prop_assert_eq!(request.is_rent(), action.is_some_and(|a| RENT_ACTIONS.contains(&a)));
                }
                Err(Refused { token, .. }) => {
                    prop_assert!(!token.is_empty());
                    prop_assert!(token.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c == ':' || c.is_ascii_digit()), "{}", token);
                }
            }
        }

        /// A rent's id and an activation's id never name the same order.
        #[test]
        fn rent_ids_round_trip_and_never_collide(rental_id in 1i64..1_000_000_000_000) {
            let id = rent_id(rental_id).to_string();
            let rent = Request::parse([("action", "getRentStatus"), ("id", id.as_str())]);
            prop_assert_eq!(rent, Ok(Request::RentStatus { rental_id }));
            prop_assert!(rent_id(rental_id) > RENT_ID_BASE);
        }

        /// Rent lengths outside 1 hour to a year are refused as the protocol words it.
        #[test]
        fn rent_lengths_are_bounded(hours in any::<u64>()) {
            let raw = hours.to_string();
            let parsed = Request::parse([("action", "getRentServicesAndCountries"), ("rent_time", raw.as_str())]);
            if (1..=u64::from(MOST_RENT_HOURS)).contains(&hours) {
                prop_assert!(parsed.is_ok());
            } else {
                prop_assert_eq!(parsed, Err(Refused { token: "BAD_TIME".into(), rent: true }));
            }
        }
    }
}
