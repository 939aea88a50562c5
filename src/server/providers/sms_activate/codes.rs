//! SMS-Activate's vocabulary: its short service codes and numeric country ids, against the
//! names the rest of the app uses (5SIM's service names, ISO country codes). Clones of the
//! protocol use the same codes.

/// Our service name → SMS-Activate's code.
pub const SERVICES: &[(&str, &str)] = &[
    ("telegram", "tg"),
    ("whatsapp", "wa"),
    ("google", "go"),
    ("facebook", "fb"),
    ("instagram", "ig"),
    ("twitter", "tw"),
    ("tiktok", "lf"),
    ("discord", "ds"),
    ("microsoft", "mm"),
    ("amazon", "am"),
    ("uber", "ub"),
    ("airbnb", "uk"),
    ("apple", "wx"),
    ("yahoo", "mb"),
    ("viber", "vi"),
    ("wechat", "wb"),
    ("line", "me"),
    ("netflix", "nf"),
    ("paypal", "ts"),
    ("openai", "dr"),
    ("tinder", "oi"),
    ("linkedin", "tn"),
    ("snapchat", "fu"),
    ("steam", "mt"),
];

/// The rent service that takes SMS from any sender: what a rented number is bought as.
pub const ANY_SERVICE: &str = "full";

/// ISO 3166-1 alpha-2 → SMS-Activate's country id.
pub const COUNTRIES: &[(&str, u32)] = &[
    ("RU", 0),
    ("UA", 1),
    ("KZ", 2),
    ("ID", 6),
    ("PL", 15),
    ("GB", 16),
    ("IN", 22),
    ("CA", 36),
    ("DE", 43),
    ("NL", 48),
    ("ES", 56),
    ("BR", 73),
    ("FR", 78),
    ("US", 187),
];

pub fn service_code(service: &str) -> Option<&'static str> {
    SERVICES
        .iter()
        .find(|(ours, _)| *ours == service)
        .map(|(_, code)| *code)
}

pub fn service_name(code: &str) -> Option<&'static str> {
    SERVICES
        .iter()
        .find(|(_, theirs)| *theirs == code)
        .map(|(ours, _)| *ours)
}

pub fn country_id(iso: &str) -> Option<u32> {
    let iso = iso.trim().to_ascii_uppercase();
    COUNTRIES.iter().find(|(c, _)| *c == iso).map(|(_, id)| *id)
}

pub fn country_iso(id: u32) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(_, theirs)| *theirs == id)
        .map(|(iso, _)| *iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_one_to_one() {
        for (ours, code) in SERVICES {
            assert_eq!(service_name(code), Some(*ours));
            assert_eq!(service_code(ours), Some(*code));
        }
        for (iso, id) in COUNTRIES {
            assert_eq!(country_iso(*id), Some(*iso));
        }
        assert_eq!(country_id("gb"), Some(16));
        assert_eq!(country_id("XX"), None);
    }
}
