//! The emulator's catalogue: countries with their operators, services, prices and stock.
//! Deterministic, so tests and demos see the same numbers every run.

use rust_decimal::Decimal;

pub struct CountryDef {
    pub name: &'static str,
    pub iso: &'static str,
    pub prefix: &'static str,
    pub text_en: &'static str,
    pub text_ru: &'static str,
    /// Price multiplier in hundredths.
    pub factor: i64,
    /// The first `hosting_operators` operators also rent numbers.
    pub operators: &'static [&'static str],
    pub hosting_operators: usize,
}

pub const COUNTRIES: &[CountryDef] = &[
    CountryDef {
        name: "russia",
        iso: "ru",
        prefix: "+7",
        text_en: "Russia",
        text_ru: "Россия",
        factor: 60,
        operators: &["beeline", "megafon", "mts", "tele2", "virtual21"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "england",
        iso: "gb",
        prefix: "+44",
        text_en: "England",
        text_ru: "Англия",
        factor: 140,
        operators: &["three", "vodafone", "o2", "virtual53"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "usa",
        iso: "us",
        prefix: "+1",
        text_en: "USA",
        text_ru: "США",
        factor: 180,
        operators: &["att", "tmobile", "verizon", "virtual12"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "germany",
        iso: "de",
        prefix: "+49",
        text_en: "Germany",
        text_ru: "Германия",
        factor: 150,
        operators: &["telekom", "vodafone", "o2"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "france",
        iso: "fr",
        prefix: "+33",
        text_en: "France",
        text_ru: "Франция",
        factor: 130,
        operators: &["orange", "sfr", "bouygues"],
        hosting_operators: 1,
    },
    CountryDef {
        name: "india",
        iso: "in",
        prefix: "+91",
        text_en: "India",
        text_ru: "Индия",
        factor: 40,
        operators: &["airtel", "jio", "vi", "virtual4"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "indonesia",
        iso: "id",
        prefix: "+62",
        text_en: "Indonesia",
        text_ru: "Индонезия",
        factor: 35,
        operators: &["telkomsel", "indosat", "xl"],
        hosting_operators: 1,
    },
    CountryDef {
        name: "brazil",
        iso: "br",
        prefix: "+55",
        text_en: "Brazil",
        text_ru: "Бразилия",
        factor: 70,
        operators: &["claro", "vivo", "tim"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "ukraine",
        iso: "ua",
        prefix: "+380",
        text_en: "Ukraine",
        text_ru: "Украина",
        factor: 55,
        operators: &["kyivstar", "vodafone", "lifecell"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "kazakhstan",
        iso: "kz",
        prefix: "+7",
        text_en: "Kazakhstan",
        text_ru: "Казахстан",
        factor: 50,
        operators: &["beeline", "kcell", "tele2"],
        hosting_operators: 1,
    },
    CountryDef {
        name: "netherlands",
        iso: "nl",
        prefix: "+31",
        text_en: "Netherlands",
        text_ru: "Нидерланды",
        factor: 145,
        operators: &["kpn", "vodafone", "tmobile"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "poland",
        iso: "pl",
        prefix: "+48",
        text_en: "Poland",
        text_ru: "Польша",
        factor: 90,
        operators: &["orange", "play", "plus"],
        hosting_operators: 2,
    },
    CountryDef {
        name: "canada",
        iso: "ca",
        prefix: "+1",
        text_en: "Canada",
        text_ru: "Канада",
        factor: 160,
        operators: &["rogers", "bell", "telus"],
        hosting_operators: 1,
    },
    CountryDef {
        name: "spain",
        iso: "es",
        prefix: "+34",
        text_en: "Spain",
        text_ru: "Испания",
        factor: 120,
        operators: &["movistar", "orange", "vodafone"],
        hosting_operators: 1,
    },
];

/// Services for activations, with a base price in 1/10000 USD and the sender of their SMS.
pub const SERVICES: &[(&str, i64, &str)] = &[
    ("telegram", 6_000, "Telegram"),
    ("whatsapp", 8_000, "WhatsApp"),
    ("google", 3_500, "Google"),
    ("facebook", 2_500, "Facebook"),
    ("instagram", 3_000, "Instagram"),
    ("twitter", 2_800, "X"),
    ("tiktok", 2_200, "TikTok"),
    ("discord", 3_200, "Discord"),
    ("microsoft", 2_600, "Microsoft"),
    ("amazon", 3_000, "Amazon"),
    ("uber", 2_000, "Uber"),
    ("airbnb", 2_400, "Airbnb"),
    ("apple", 4_000, "Apple"),
    ("yahoo", 1_500, "Yahoo"),
    ("viber", 1_800, "Viber"),
    ("wechat", 9_000, "WeChat"),
    ("line", 2_100, "LINE"),
    ("netflix", 1_900, "Netflix"),
    ("paypal", 4_500, "PayPal"),
    ("openai", 5_000, "OpenAI"),
    ("tinder", 3_800, "Tinder"),
    ("linkedin", 2_700, "LinkedIn"),
    ("snapchat", 2_300, "Snapchat"),
    ("steam", 1_700, "Steam"),
];

/// Hosting (rental) products: name, hours, base price in 1/10000 USD.
pub const HOSTING: &[(&str, u32, i64)] = &[
    ("3hours", 3, 5_000),
    ("1day", 24, 15_000),
    ("10days", 240, 80_000),
    ("1month", 720, 200_000),
];

pub fn country(name: &str) -> Option<&'static CountryDef> {
    COUNTRIES.iter().find(|c| c.name == name)
}

pub fn service(product: &str) -> Option<&'static (&'static str, i64, &'static str)> {
    SERVICES.iter().find(|s| s.0 == product)
}

pub fn hosting(product: &str) -> Option<&'static (&'static str, u32, i64)> {
    HOSTING.iter().find(|h| h.0 == product)
}

/// A small, stable hash (FNV-1a) for deterministic prices, stock and numbers.
pub fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl CountryDef {
    pub fn has_operator(&self, operator: &str) -> bool {
        self.operators.contains(&operator)
    }

    pub fn hosts(&self, operator: &str) -> bool {
        self.operators[..self.hosting_operators].contains(&operator)
    }

    /// The price of `product` through `operator`, in USD with four places.
    pub fn price(&self, base_units: i64, operator: &str) -> Decimal {
        let idx = self
            .operators
            .iter()
            .position(|o| *o == operator)
            .unwrap_or(0) as i64;
        // Operators differ by a few percent; round to whole cents like 5SIM's list.
        let units = base_units * self.factor / 100 * (100 + 7 * idx) / 100;
        Decimal::new((units / 100).max(1) * 100, 4)
    }

    /// The default stock of `product` through `operator`: usually plenty, sometimes none.
    pub fn stock(&self, product: &str, operator: &str) -> u64 {
        let h = hash(&[self.name, product, operator]);
        if h.is_multiple_of(23) {
            0
        } else {
            50 + h % 4_950
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_big_enough_and_consistent() {
        assert!(COUNTRIES.len() >= 10);
        assert!(SERVICES.len() >= 20);
        for c in COUNTRIES {
            assert!(c.operators.len() >= 3, "{}", c.name);
            assert!(c.hosting_operators >= 1 && c.hosting_operators <= c.operators.len());
            assert_eq!(c.iso.len(), 2);
        }
        let gb = country("england").unwrap();
        assert!(gb.price(6_000, "three") > Decimal::ZERO);
        assert!(gb.price(6_000, "o2") > gb.price(6_000, "three"));
        assert_eq!(hash(&["a", "b"]), hash(&["a", "b"]));
        assert_ne!(hash(&["ab", ""]), hash(&["a", "b"]));
    }
}
