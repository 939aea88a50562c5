//! What customers read instead of providers' slugs: the names of services and countries, and
//! a country's flag. The one place that maps a provider's `whatsapp` to "WhatsApp" and `GB` to
//! "United Kingdom" 🇬🇧, for every page and both targets.

use std::borrow::Cow;

/// The name a service is known by: `whatsapp` → "WhatsApp". A slug not in the table reads as
/// words (`some_app` → "Some app"), so a provider's new service is never shown as code.
pub fn service_name(slug: &str) -> Cow<'static, str> {
    match SERVICES.binary_search_by(|(s, _)| (*s).cmp(slug)) {
        Ok(i) => Cow::Borrowed(SERVICES[i].1),
        Err(_) => Cow::Owned(words(slug)),
    }
}

/// The English short name of an ISO 3166-1 alpha-2 country code (any case), if it is one.
pub fn country_name(iso: &str) -> Option<&'static str> {
    let iso = iso.to_ascii_uppercase();
    COUNTRIES
        .binary_search_by(|(c, _)| (*c).cmp(iso.as_str()))
        .ok()
        .map(|i| COUNTRIES[i].1)
}

/// The flag of a two-letter country code as regional indicator symbols (🇬🇧 for `GB`);
/// empty for anything else, so a bad code never shows a broken glyph.
pub fn flag(iso: &str) -> String {
    let bytes = iso.as_bytes();
    if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
        return String::new();
    }
    bytes
        .iter()
        .filter_map(|b| char::from_u32(0x1F1E6 + u32::from(b.to_ascii_uppercase() - b'A')))
        .collect()
}

/// How a country reads in a list: its flag and name (`🇬🇧 United Kingdom`), or its code when
/// it is not a country we know.
pub fn country_label(iso: &str) -> String {
    match country_name(iso) {
        Some(name) => format!("{} {name}", flag(iso)),
        None => iso.to_ascii_uppercase(),
    }
}

/// A number's service and country in a line, as cards and tables show them:
/// `WhatsApp · 🇬🇧 GB` (the country's code is short, and its flag recognisable).
pub fn service_in(service: &str, country: &str) -> String {
    let code = country.to_ascii_uppercase();
    match flag(&code) {
        f if f.is_empty() => format!("{} · {code}", service_name(service)),
        f => format!("{} · {f} {code}", service_name(service)),
    }
}

fn words(slug: &str) -> String {
    let spaced: String = slug
        .trim()
        .chars()
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
        .collect();
    // ASCII case only: slugs are ASCII, and Unicode's case tables would cost the browser
    // client kilobytes.
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => std::iter::once(first.to_ascii_uppercase())
            .chain(chars)
            .collect(),
        None => String::new(),
    }
}

/// Provider slugs (5SIM's product names, which the other protocols' codes are mapped onto) and
/// the names the services give themselves. Sorted by slug.
const SERVICES: &[(&str, &str)] = &[
    ("airbnb", "Airbnb"),
    ("alibaba", "Alibaba"),
    ("aliexpress", "AliExpress"),
    ("amazon", "Amazon"),
    ("apple", "Apple"),
    ("avito", "Avito"),
    ("badoo", "Badoo"),
    ("binance", "Binance"),
    ("blizzard", "Blizzard"),
    ("bumble", "Bumble"),
    ("coinbase", "Coinbase"),
    ("deliveroo", "Deliveroo"),
    ("didi", "DiDi"),
    ("discord", "Discord"),
    ("doordash", "DoorDash"),
    ("ebay", "eBay"),
    ("facebook", "Facebook"),
    ("gmail", "Gmail"),
    ("google", "Google"),
    ("grab", "Grab"),
    ("grindr", "Grindr"),
    ("hinge", "Hinge"),
    ("instagram", "Instagram"),
    ("kakaotalk", "KakaoTalk"),
    ("line", "LINE"),
    ("linkedin", "LinkedIn"),
    ("lyft", "Lyft"),
    ("mailru", "Mail.ru"),
    ("microsoft", "Microsoft"),
    ("naver", "Naver"),
    ("netflix", "Netflix"),
    ("nike", "Nike"),
    ("ok", "OK.ru"),
    ("openai", "OpenAI"),
    ("other", "Any other service"),
    ("paypal", "PayPal"),
    ("protonmail", "Proton Mail"),
    ("reddit", "Reddit"),
    ("revolut", "Revolut"),
    ("roblox", "Roblox"),
    ("shopee", "Shopee"),
    ("signal", "Signal"),
    ("skype", "Skype"),
    ("snapchat", "Snapchat"),
    ("spotify", "Spotify"),
    ("steam", "Steam"),
    ("telegram", "Telegram"),
    ("tiktok", "TikTok"),
    ("tinder", "Tinder"),
    ("twitch", "Twitch"),
    ("twitter", "X (Twitter)"),
    ("uber", "Uber"),
    ("viber", "Viber"),
    ("vkontakte", "VK"),
    ("wechat", "WeChat"),
    ("whatsapp", "WhatsApp"),
    ("wise", "Wise"),
    ("yahoo", "Yahoo"),
    ("yandex", "Yandex"),
    ("zoho", "Zoho"),
];

/// ISO 3166-1 alpha-2 codes and the English short names people use. Sorted by code.
const COUNTRIES: &[(&str, &str)] = &[
    ("AD", "Andorra"),
    ("AE", "United Arab Emirates"),
    ("AF", "Afghanistan"),
    ("AG", "Antigua and Barbuda"),
    ("AI", "Anguilla"),
    ("AL", "Albania"),
    ("AM", "Armenia"),
    ("AO", "Angola"),
    ("AQ", "Antarctica"),
    ("AR", "Argentina"),
    ("AS", "American Samoa"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("AW", "Aruba"),
    ("AX", "Åland Islands"),
    ("AZ", "Azerbaijan"),
    ("BA", "Bosnia and Herzegovina"),
    ("BB", "Barbados"),
    ("BD", "Bangladesh"),
    ("BE", "Belgium"),
    ("BF", "Burkina Faso"),
    ("BG", "Bulgaria"),
    ("BH", "Bahrain"),
    ("BI", "Burundi"),
    ("BJ", "Benin"),
    ("BL", "Saint Barthélemy"),
    ("BM", "Bermuda"),
    ("BN", "Brunei"),
    ("BO", "Bolivia"),
    ("BQ", "Caribbean Netherlands"),
    ("BR", "Brazil"),
    ("BS", "Bahamas"),
    ("BT", "Bhutan"),
    ("BV", "Bouvet Island"),
    ("BW", "Botswana"),
    ("BY", "Belarus"),
    ("BZ", "Belize"),
    ("CA", "Canada"),
    ("CC", "Cocos (Keeling) Islands"),
    ("CD", "DR Congo"),
    ("CF", "Central African Republic"),
    ("CG", "Republic of the Congo"),
    ("CH", "Switzerland"),
    ("CI", "Côte d'Ivoire"),
    ("CK", "Cook Islands"),
    ("CL", "Chile"),
    ("CM", "Cameroon"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CR", "Costa Rica"),
    ("CU", "Cuba"),
    ("CV", "Cape Verde"),
    ("CW", "Curaçao"),
    ("CX", "Christmas Island"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DJ", "Djibouti"),
    ("DK", "Denmark"),
    ("DM", "Dominica"),
    ("DO", "Dominican Republic"),
    ("DZ", "Algeria"),
    ("EC", "Ecuador"),
    ("EE", "Estonia"),
    ("EG", "Egypt"),
    ("EH", "Western Sahara"),
    ("ER", "Eritrea"),
    ("ES", "Spain"),
    ("ET", "Ethiopia"),
    ("FI", "Finland"),
    ("FJ", "Fiji"),
    ("FK", "Falkland Islands"),
    ("FM", "Micronesia"),
    ("FO", "Faroe Islands"),
    ("FR", "France"),
    ("GA", "Gabon"),
    ("GB", "United Kingdom"),
    ("GD", "Grenada"),
    ("GE", "Georgia"),
    ("GF", "French Guiana"),
    ("GG", "Guernsey"),
    ("GH", "Ghana"),
    ("GI", "Gibraltar"),
    ("GL", "Greenland"),
    ("GM", "Gambia"),
    ("GN", "Guinea"),
    ("GP", "Guadeloupe"),
    ("GQ", "Equatorial Guinea"),
    ("GR", "Greece"),
    ("GS", "South Georgia and the South Sandwich Islands"),
    ("GT", "Guatemala"),
    ("GU", "Guam"),
    ("GW", "Guinea-Bissau"),
    ("GY", "Guyana"),
    ("HK", "Hong Kong"),
    ("HM", "Heard Island and McDonald Islands"),
    ("HN", "Honduras"),
    ("HR", "Croatia"),
    ("HT", "Haiti"),
    ("HU", "Hungary"),
    ("ID", "Indonesia"),
    ("IE", "Ireland"),
    ("IL", "Israel"),
    ("IM", "Isle of Man"),
    ("IN", "India"),
    ("IO", "British Indian Ocean Territory"),
    ("IQ", "Iraq"),
    ("IR", "Iran"),
    ("IS", "Iceland"),
    ("IT", "Italy"),
    ("JE", "Jersey"),
    ("JM", "Jamaica"),
    ("JO", "Jordan"),
    ("JP", "Japan"),
    ("KE", "Kenya"),
    ("KG", "Kyrgyzstan"),
    ("KH", "Cambodia"),
    ("KI", "Kiribati"),
    ("KM", "Comoros"),
    ("KN", "Saint Kitts and Nevis"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("KW", "Kuwait"),
    ("KY", "Cayman Islands"),
    ("KZ", "Kazakhstan"),
    ("LA", "Laos"),
    ("LB", "Lebanon"),
    ("LC", "Saint Lucia"),
    ("LI", "Liechtenstein"),
    ("LK", "Sri Lanka"),
    ("LR", "Liberia"),
    ("LS", "Lesotho"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("LY", "Libya"),
    ("MA", "Morocco"),
    ("MC", "Monaco"),
    ("MD", "Moldova"),
    ("ME", "Montenegro"),
    ("MF", "Saint Martin"),
    ("MG", "Madagascar"),
    ("MH", "Marshall Islands"),
    ("MK", "North Macedonia"),
    ("ML", "Mali"),
    ("MM", "Myanmar"),
    ("MN", "Mongolia"),
    ("MO", "Macao"),
    ("MP", "Northern Mariana Islands"),
    ("MQ", "Martinique"),
    ("MR", "Mauritania"),
    ("MS", "Montserrat"),
    ("MT", "Malta"),
    ("MU", "Mauritius"),
    ("MV", "Maldives"),
    ("MW", "Malawi"),
    ("MX", "Mexico"),
    ("MY", "Malaysia"),
    ("MZ", "Mozambique"),
    ("NA", "Namibia"),
    ("NC", "New Caledonia"),
    ("NE", "Niger"),
    ("NF", "Norfolk Island"),
    ("NG", "Nigeria"),
    ("NI", "Nicaragua"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NP", "Nepal"),
    ("NR", "Nauru"),
    ("NU", "Niue"),
    ("NZ", "New Zealand"),
    ("OM", "Oman"),
    ("PA", "Panama"),
    ("PE", "Peru"),
    ("PF", "French Polynesia"),
    ("PG", "Papua New Guinea"),
    ("PH", "Philippines"),
    ("PK", "Pakistan"),
    ("PL", "Poland"),
    ("PM", "Saint Pierre and Miquelon"),
    ("PN", "Pitcairn Islands"),
    ("PR", "Puerto Rico"),
    ("PS", "Palestine"),
    ("PT", "Portugal"),
    ("PW", "Palau"),
    ("PY", "Paraguay"),
    ("QA", "Qatar"),
    ("RE", "Réunion"),
    ("RO", "Romania"),
    ("RS", "Serbia"),
    ("RU", "Russia"),
    ("RW", "Rwanda"),
    ("SA", "Saudi Arabia"),
    ("SB", "Solomon Islands"),
    ("SC", "Seychelles"),
    ("SD", "Sudan"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("SH", "Saint Helena"),
    ("SI", "Slovenia"),
    ("SJ", "Svalbard and Jan Mayen"),
    ("SK", "Slovakia"),
    ("SL", "Sierra Leone"),
    ("SM", "San Marino"),
    ("SN", "Senegal"),
    ("SO", "Somalia"),
    ("SR", "Suriname"),
    ("SS", "South Sudan"),
    ("ST", "São Tomé and Príncipe"),
    ("SV", "El Salvador"),
    ("SX", "Sint Maarten"),
    ("SY", "Syria"),
    ("SZ", "Eswatini"),
    ("TC", "Turks and Caicos Islands"),
    ("TD", "Chad"),
    ("TF", "French Southern Territories"),
    ("TG", "Togo"),
    ("TH", "Thailand"),
    ("TJ", "Tajikistan"),
    ("TK", "Tokelau"),
    ("TL", "Timor-Leste"),
    ("TM", "Turkmenistan"),
    ("TN", "Tunisia"),
    ("TO", "Tonga"),
    ("TR", "Türkiye"),
    ("TT", "Trinidad and Tobago"),
    ("TV", "Tuvalu"),
    ("TW", "Taiwan"),
    ("TZ", "Tanzania"),
    ("UA", "Ukraine"),
    ("UG", "Uganda"),
    ("UM", "U.S. Outlying Islands"),
    ("US", "United States"),
    ("UY", "Uruguay"),
    ("UZ", "Uzbekistan"),
    ("VA", "Vatican City"),
    ("VC", "Saint Vincent and the Grenadines"),
    ("VE", "Venezuela"),
    ("VG", "British Virgin Islands"),
    ("VI", "U.S. Virgin Islands"),
    ("VN", "Vietnam"),
    ("VU", "Vanuatu"),
    ("WF", "Wallis and Futuna"),
    ("WS", "Samoa"),
    ("XK", "Kosovo"),
    ("YE", "Yemen"),
    ("YT", "Mayotte"),
    ("ZA", "South Africa"),
    ("ZM", "Zambia"),
    ("ZW", "Zimbabwe"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_so_lookups_find_every_entry() {
        assert!(SERVICES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(COUNTRIES.iter().all(|(c, _)| country_name(c).is_some()));
    }

    #[test]
    fn services_read_as_their_own_names() {
        assert_eq!(service_name("whatsapp"), "WhatsApp");
        assert_eq!(service_name("telegram"), "Telegram");
        assert_eq!(service_name("some_new-app"), "Some new app");
    }

    #[test]
    fn countries_have_names_and_flags() {
        assert_eq!(country_name("gb"), Some("United Kingdom"));
        assert_eq!(country_label("GB"), "🇬🇧 United Kingdom");
        assert_eq!(flag("us"), "🇺🇸");
        assert_eq!(flag("G1"), "");
        assert_eq!(country_label("QQ"), "QQ");
        assert_eq!(service_in("whatsapp", "gb"), "WhatsApp · 🇬🇧 GB");
    }
}
