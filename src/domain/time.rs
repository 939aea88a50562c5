//! Times on the wire: RFC 3339, as chrono writes them. Reading them back is done here rather
//! than by chrono's general parser, which the browser client would otherwise carry (about
//! 15 KB of WASM) to read the few timestamps in the views it receives.
//!
//! `#[serde(with = "crate::domain::time::rfc3339")]` on a `DateTime<Utc>` field, and
//! `rfc3339::option` on an `Option<DateTime<Utc>>`.

pub mod rfc3339 {
    use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
    use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        t.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&text).ok_or_else(|| de::Error::custom("is not an RFC 3339 time"))
    }

    /// `2026-12-02T11:22:33.123456Z`, or with an offset (`+05:30`) instead of `Z`.
    pub fn parse(s: &str) -> Option<DateTime<Utc>> {
        let b = s.as_bytes();
        let num = |from: usize, to: usize| -> Option<u32> {
            let digits = b.get(from..to)?;
            digits.iter().try_fold(0u32, |n, c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let at = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(at(4, b'-') && at(7, b'-') && (at(10, b'T') || at(10, b't') || at(10, b' ')))
            || !(at(13, b':') && at(16, b':'))
        {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
        let mut i = 19;
        let mut nanos = 0u32;
        if at(i, b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let digits = &s[start..i];
            if digits.is_empty() {
                return None;
            }
            let kept = &digits[..digits.len().min(9)];
            nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
        }
        let time = date.and_hms_nano_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, nanos)?;
        let offset_minutes = match b.get(i)? {
            b'Z' | b'z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && at(i + 3, b':') => {
                let minutes = i64::from(num(i + 1, i + 3)? * 60 + num(i + 4, i + 6)?);
                if *sign == b'-' {
                    -minutes
                } else {
                    minutes
                }
            }
            _ => return None,
        };
        Some(time.and_utc() - TimeDelta::minutes(offset_minutes))
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            t.serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
                Some(text) => super::parse(&text)
                    .map(Some)
                    .ok_or_else(|| de::Error::custom("is not an RFC 3339 time")),
                None => Ok(None),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::parse;
        use chrono::{DateTime, Utc};
        use proptest::prelude::*;

        #[test]
        fn reads_what_chrono_writes_and_offsets() {
            let t: DateTime<Utc> = "2026-12-02T11:22:33.123456Z".parse().unwrap();
            assert_eq!(parse("2026-12-02T11:22:33.123456Z"), Some(t));
            assert_eq!(parse("2026-12-02T16:52:33.123456+05:30"), Some(t));
            assert_eq!(
                parse("2026-12-02T11:22:33Z"),
                Some("2026-12-02T11:22:33Z".parse().unwrap())
            );
            for bad in [
                "",
                "2026-12-02",
                "2026-13-02T11:22:33Z",
                "2026-12-02T11:22:33",
                "2026-12-02T11:22:33.Z",
                "2026-12-02T11:22:33Zjunk",
            ] {
                assert_eq!(parse(bad), None, "{bad}");
            }
        }

        proptest! {
            #[test]
            fn round_trips_every_time_chrono_serialises(secs in 0i64..8_000_000_000, nanos in 0u32..1_000_000_000) {
                let t = DateTime::<Utc>::from_timestamp(secs, nanos).unwrap();
                let written = serde_json::to_string(&t).unwrap();
                prop_assert_eq!(parse(written.trim_matches('"')), Some(t));
            }
        }
    }
}
