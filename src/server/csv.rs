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

/// One table of a JSON report (`table`: an array of objects) as CSV: nested objects' fields
/// as `outer.inner` columns, lists of values as `name.0`, `name.1`, …; the columns in the
/// order they first appear. `None` when the report has no such table.
pub fn table(report: &serde_json::Value, table: &str) -> Option<String> {
    let rows = report.get(table)?.as_array()?;
    let flat: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|row| {
            let mut fields = Vec::new();
            flatten("", row, &mut fields);
            fields
        })
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &flat {
        for (name, _) in row {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let mut w = Writer::new(&columns.iter().map(String::as_str).collect::<Vec<_>>());
    for row in &flat {
        let fields: Vec<&str> = columns
            .iter()
            .map(|c| {
                row.iter()
                    .find(|(name, _)| name == c)
                    .map_or("", |(_, v)| v.as_str())
            })
            .collect();
        w.row(&fields);
    }
    Some(w.finish())
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let name = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&name(k), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&name(&i.to_string()), v, out);
            }
        }
        Value::Null => out.push((prefix.to_owned(), String::new())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
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
