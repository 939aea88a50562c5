//! CSV exports (RFC 4180), safe to open in a spreadsheet: a field that a spreadsheet would read
//! as a formula (`=`, `+`, `-`, `@`, tab, carriage return first; not a plain number) is written
//! with a leading `'`.

pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new(header: &[&str]) -> Writer {
        let mut w = Writer { out: String::new() };
        w.row(header);
        w
    }

    pub fn row(&mut self, fields: &[&str]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.field(field);
        }
        self.out.push_str("\r\n");
    }

    fn field(&mut self, field: &str) {
        let inert = match field.chars().next() {
            Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_number(field) => format!("'{field}"),
            _ => field.to_owned(),
        };
        if inert.contains([',', '"', '\r', '\n']) {
            self.out.push('"');
            self.out.push_str(&inert.replace('"', "\"\""));
            self.out.push('"');
        } else {
            self.out.push_str(&inert);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// `-12.5`: a plain number is no formula, and stays a number.
fn is_number(field: &str) -> bool {
    let digits = field.strip_prefix('-').unwrap_or(field);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_needs_quoting_and_defuses_formulas() {
        let mut w = Writer::new(&["a", "b"]);
        w.row(&["plain", "has, comma"]);
        w.row(&["say \"hi\"", "=HYPERLINK(\"x\")"]);
        w.row(&["-5", "two\nlines"]);
        w.row(&["-1+2", "-"]);
        assert_eq!(
            w.finish(),
            "a,b\r\nplain,\"has, comma\"\r\n\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\"\r\n-5,\"two\nlines\"\r\n'-1+2,'-\r\n"
        );
    }
}
