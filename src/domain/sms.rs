//! Reading verification codes out of SMS text.

/// The verification code in an SMS: the first group of 4–8 digits, where a code split as
/// `123-456` or `123 456` counts as one. Longer digit runs (phone numbers, amounts with many
/// digits) are not codes.
pub fn extract_code(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut code = String::new();
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                code.push(chars[j]);
                j += 1;
            } else if (chars[j] == '-' || chars[j] == ' ')
                && code.len() == 3
                && chars.get(j + 1).is_some_and(char::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let bounded = chars.get(j).is_none_or(|c| !c.is_ascii_alphanumeric());
        if (4..=8).contains(&code.len()) && bounded {
            return Some(code);
        }
        i = j.max(i + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_code() {
        assert_eq!(extract_code("Telegram code: 12345"), Some("12345".into()));
        assert_eq!(
            extract_code("Your WhatsApp code 123-456. Don't share it"),
            Some("123456".into())
        );
        assert_eq!(
            extract_code("G-482913 is your Google verification code."),
            Some("482913".into())
        );
        assert_eq!(extract_code("Код подтверждения: 7788"), Some("7788".into()));
        assert_eq!(extract_code("123 456 is your code"), Some("123456".into()));
    }

    #[test]
    fn ignores_what_is_not_a_code() {
        assert_eq!(extract_code("Welcome to Telegram!"), None);
        assert_eq!(extract_code("Call +441234567890 now"), None);
        assert_eq!(extract_code("abc1234def"), None);
        assert_eq!(extract_code("Pay 12 USD"), None);
        assert_eq!(extract_code(""), None);
    }
}
