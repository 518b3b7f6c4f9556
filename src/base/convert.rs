//! Values between n8n items and Lark Base cells.
//!
//! Writing: each value is converted to the form its column's type takes (dates to Unix
//! milliseconds, URLs to `{ link, text }`, persons to `[{ id }]`, ...), or refused with an error that
//! names the column and the form it expects. Reading: rich-text segments can be flattened to plain
//! strings, and cells compared as upsert keys.

use super::error::BaseError;
use super::fields::{Field, FieldType};
use super::value::Value;

/// Below this, a number is taken as Unix seconds; from it up, milliseconds. 1e11 seconds is the
/// year 5138, and 1e11 milliseconds is March 1973, so neither reading is plausible on the other side.
pub const SECONDS_BELOW: f64 = 1e11;
/// Lark's longest text cell, in characters.
pub const MAX_TEXT_CHARS: usize = 100_000;

const EXPECT_TEXT: &str = "text (a string, number or boolean)";
const EXPECT_NUMBER: &str = "a number, or a string holding one such as 12.5";
const EXPECT_OPTION: &str = "an option name";
const EXPECT_OPTIONS: &str = "a list of option names, or names separated by commas";
pub const EXPECT_DATE: &str = "an ISO 8601 date such as 2026-11-26 or 2026-11-26T08:30:00+07:00 \
     (UTC when no offset is given), or a Unix time in seconds or milliseconds";
const EXPECT_CHECKBOX: &str = "true or false";
const EXPECT_PERSON: &str = "a user ID (ou_...), a list of them, or [{ id }]";
const EXPECT_URL: &str = "a URL string or { link, text }";
const EXPECT_ATTACHMENT: &str = "file tokens as [{ file_token }] (upload the file to Lark first)";
const EXPECT_LINK: &str = "record IDs (rec...), as a list or separated by commas";

/// The cell to write for `value` in `field`. `Null` (and an empty string in a non-text column)
/// clears the cell.
pub fn to_cell(value: &Value, field: &Field) -> Result<Value, BaseError> {
    if field.kind.is_read_only() {
        return Err(BaseError {
            column: Some(field.name.clone()),
            ..BaseError::new(
                super::error::BaseErrorCode::InvalidValue,
                format!(
                    "column '{}' ({}) is read-only: Lark computes it",
                    field.name,
                    field.kind.name()
                ),
                "leave this column out of the mapping",
            )
        });
    }
    if value.is_null() {
        return Ok(Value::Null);
    }
    let blank = matches!(value, Value::Text(t) if t.trim().is_empty());
    let text_like = matches!(field.kind, FieldType::Text | FieldType::Phone);
    if blank && !text_like {
        return Ok(Value::Null);
    }
    let converted = match field.kind {
        FieldType::Text | FieldType::Phone => match text(value) {
            Some(text) if text.chars().nth(MAX_TEXT_CHARS).is_some() => {
                return Err(too_large(&field.name))
            }
            Some(text) => Ok(Value::Text(text)),
            None => Err(EXPECT_TEXT),
        },
        FieldType::Number => number(value).map(Value::Number).ok_or(EXPECT_NUMBER),
        FieldType::SingleSelect => option(value).map(Value::Text).ok_or(EXPECT_OPTION),
        FieldType::MultiSelect => options(value).ok_or(EXPECT_OPTIONS),
        FieldType::Date => date_ms(value)
            .map(|ms| Value::Number(ms as f64))
            .ok_or(EXPECT_DATE),
        FieldType::Checkbox => checkbox(value).map(Value::Bool).ok_or(EXPECT_CHECKBOX),
        FieldType::Person => persons(value).ok_or(EXPECT_PERSON),
        FieldType::Url => url(value).ok_or(EXPECT_URL),
        FieldType::Attachment => attachments(value).ok_or(EXPECT_ATTACHMENT),
        FieldType::Link => record_ids(value).ok_or(EXPECT_LINK),
        // Lark checks the rest itself (locations, groups, types this version does not know).
        _ => Ok(value.clone()),
    };
    converted.map_err(|expected| {
        BaseError::invalid_value(&field.name, field.kind.name(), value.kind(), expected)
    })
}

/// A value larger than Lark takes in a cell: a text over `MAX_TEXT_CHARS`, or any value whose JSON
/// is over a MiB (the JS entry does not copy those in).
pub fn too_large(column: &str) -> BaseError {
    BaseError {
        column: Some(column.to_owned()),
        ..BaseError::new(
            super::error::BaseErrorCode::InvalidValue,
            format!(
                "the value for column '{column}' is larger than a Lark Base cell takes \
                 (text: {MAX_TEXT_CHARS} characters)"
            ),
            "shorten the value, or split it over several records",
        )
    }
}

/// Numbers as JS writes them: whole ones without a fraction.
pub fn format_number(n: f64) -> String {
    if n == 0.0 {
        "0".to_owned()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Text(t) => Some(t.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        // Rich text as Lark reads it out, so that a record read can be written back.
        Value::List(_) => rich_text(value),
        _ => None,
    }
}

/// The plain text of rich-text segments `[{ type, text }, ...]`; `None` for anything else.
fn rich_text(value: &Value) -> Option<String> {
    let Value::List(segments) = value else {
        return None;
    };
    let mut out = String::new();
    for segment in segments {
        out.push_str(segment.get("text")?.as_str()?);
    }
    Some(out)
}

fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => *n,
        Value::Text(t) => parse_decimal(t.trim())?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A plain decimal: digits, one optional sign, point and exponent. Not "inf", "NaN" or hex, which
/// Rust's float parser would take.
fn parse_decimal(text: &str) -> Option<f64> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && text.bytes().any(|b| b.is_ascii_digit());
    plain.then(|| text.parse::<f64>().ok()).flatten()
}

fn option(value: &Value) -> Option<String> {
    match value {
        Value::Text(t) => Some(t.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::List(items) if items.len() == 1 => items.first().and_then(option),
        _ => None,
    }
}

fn options(value: &Value) -> Option<Value> {
    let names: Vec<String> = match value {
        Value::Text(t) => split_list(t),
        Value::List(items) => items.iter().map(option).collect::<Option<Vec<_>>>()?,
        Value::Number(n) => vec![format_number(*n)],
        _ => return None,
    };
    Some(Value::List(names.into_iter().map(Value::Text).collect()))
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Unix milliseconds from a number (seconds below 1e11, else milliseconds), a numeric string, or
/// an ISO 8601 string.
pub fn date_ms(value: &Value) -> Option<i64> {
    let n = match value {
        Value::Number(n) => *n,
        Value::Text(t) => {
            let t = t.trim();
            match parse_decimal(t) {
                Some(n) => n,
                None => return parse_iso(t),
            }
        }
        _ => return None,
    };
    if !n.is_finite() {
        return None;
    }
    let ms = if n.abs() < SECONDS_BELOW {
        n * 1000.0
    } else {
        n
    };
    // Years 0 to 9999 either way, as the ISO form allows.
    (-62_167_219_200_000.0..=253_402_300_799_999.0)
        .contains(&ms)
        .then_some(ms.round() as i64)
}

/// ISO 8601 (and RFC 3339) dates: `YYYY-MM-DD`, optionally `T` or a space, `hh:mm`, `:ss`,
/// a fraction, and `Z` or an offset `±hh:mm` (also `±hhmm` and `±hh`). No offset means UTC.
pub fn parse_iso(text: &str) -> Option<i64> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = c.digits(4)?;
    c.expect(b'-')?;
    let month = c.digits(2)?;
    c.expect(b'-')?;
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    let mut offset_min = 0;
    if c.peek().is_some() {
        if !matches!(c.next()?, b'T' | b't' | b' ') {
            return None;
        }
        hour = c.digits(2)?;
        c.expect(b':')?;
        minute = c.digits(2)?;
        if c.peek() == Some(b':') {
            c.next();
            second = c.digits(2)?;
            if matches!(c.peek(), Some(b'.' | b',')) {
                c.next();
                let start = c.at;
                let mut scale = 100;
                while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                    c.next();
                    millis += i64::from(d - b'0') * scale;
                    scale /= 10;
                }
                if c.at == start {
                    return None;
                }
            }
        }
        // 24:00 is allowed by ISO 8601 as the end of a day; Lark has no use for it.
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        offset_min = match c.next() {
            None => 0,
            Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let hours = c.digits(2)?;
                if c.peek() == Some(b':') {
                    c.next();
                }
                let minutes = if c.peek().is_some() { c.digits(2)? } else { 0 };
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let total = hours * 60 + minutes;
                if sign == b'-' {
                    -total
                } else {
                    total
                }
            }
            Some(_) => return None,
        };
    }
    if c.peek().is_some() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Some(seconds * 1000 + millis)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn digits(&mut self, count: usize) -> Option<i64> {
        let mut n = 0;
        for _ in 0..count {
            let d = self.next().filter(u8::is_ascii_digit)?;
            n = n * 10 + i64::from(d - b'0');
        }
        Some(n)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn checkbox(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) if *n == 1.0 => Some(true),
        Value::Number(n) if *n == 0.0 => Some(false),
        Value::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" | "checked" => Some(true),
            "false" | "no" | "0" | "off" | "unchecked" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn persons(value: &Value) -> Option<Value> {
    let ids: Vec<String> = match value {
        Value::Text(t) => split_list(t),
        Value::Object(_) => vec![person_id(value)?],
        Value::List(items) => items.iter().map(person_id).collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    let people = ids
        .into_iter()
        .map(|id| Value::Object(vec![("id".into(), Value::Text(id))]))
        .collect();
    Some(Value::List(people))
}

fn person_id(value: &Value) -> Option<String> {
    let id = match value {
        Value::Text(t) => t.trim(),
        Value::Object(_) => value.get("id")?.as_str()?.trim(),
        _ => return None,
    };
    (!id.is_empty()).then(|| id.to_owned())
}

fn url(value: &Value) -> Option<Value> {
    let (link, text) = match value {
        Value::Text(t) => (t.trim(), t.trim()),
        Value::Object(_) => {
            let link = value.get("link")?.as_str()?.trim();
            let text = match value.get("text") {
                None | Some(Value::Null) => link,
                Some(t) => t.as_str()?,
            };
            (link, text)
        }
        _ => return None,
    };
    (!link.is_empty()).then(|| {
        Value::Object(vec![
            ("link".into(), Value::text(link)),
            ("text".into(), Value::text(text)),
        ])
    })
}

fn attachments(value: &Value) -> Option<Value> {
    let token = |v: &Value| match v {
        Value::Text(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
        Value::Object(_) => v.get("file_token")?.as_str().map(str::to_owned),
        _ => None,
    };
    let tokens: Vec<String> = match value {
        Value::List(items) => items.iter().map(token).collect::<Option<Vec<_>>>()?,
        single => vec![token(single)?],
    };
    let files = tokens
        .into_iter()
        .map(|t| Value::Object(vec![("file_token".into(), Value::Text(t))]))
        .collect();
    Some(Value::List(files))
}

fn record_ids(value: &Value) -> Option<Value> {
    let ids: Vec<String> = match value {
        Value::Text(t) => split_list(t),
        Value::List(items) => items
            .iter()
            .map(|v| v.as_str().map(|s| s.trim().to_owned()))
            .collect::<Option<Vec<_>>>()?,
        // The form Lark reads a link cell out in.
        Value::Object(_) => match value.get("link_record_ids")? {
            Value::List(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        },
        _ => return None,
    };
    Some(Value::List(ids.into_iter().map(Value::Text).collect()))
}

/// A written cell as a text to compare with what Lark's answer to the write says of it, for every
/// type whose form Lark echoes (lists compared as sets); `None` for the types it does not.
pub fn echo(cell: &Value, kind: FieldType) -> Option<String> {
    let names = |list: Option<Value>, key: &str| {
        let Some(Value::List(items)) = list else {
            return None;
        };
        let mut names: Vec<String> = items
            .iter()
            .map(|item| match item {
                Value::Text(t) => Some(t.clone()),
                _ => item.get(key)?.as_str().map(str::to_owned),
            })
            .collect::<Option<_>>()?;
        names.sort();
        // As JSON, so that no name can hold the separator: ["a\u{1}b"] is not ["a", "b"].
        serde_json::to_string(&names).ok()
    };
    match kind {
        FieldType::Checkbox => checkbox(cell).map(|b| b.to_string()),
        FieldType::MultiSelect => names(options(cell), "name"),
        FieldType::Person => names(persons(cell), "id"),
        FieldType::Attachment => names(attachments(cell), "file_token"),
        FieldType::Link => names(record_ids(cell), "id"),
        FieldType::Text
        | FieldType::Number
        | FieldType::SingleSelect
        | FieldType::Date
        | FieldType::Phone => key_text(cell, kind),
        // Two rows may differ only in a link's text: it is compared too, the link when there is
        // none (as a cell without one is written).
        FieldType::Url => {
            let link = key_text(cell, kind)?;
            let text = cell.get("text").and_then(Value::as_str).unwrap_or(&link);
            serde_json::to_string(&[link.as_str(), text]).ok()
        }
        _ => None,
    }
}

/// A cell as a plain value for output: rich-text segments become one string.
pub fn simplify(cell: Value) -> Value {
    match rich_text(&cell) {
        Some(text) if matches!(&cell, Value::List(s) if !s.is_empty()) => Value::Text(text),
        _ => cell,
    }
}

/// The text an upsert compares for a key cell, from a converted input value or from a cell as Lark
/// reads it out. `None` for an empty cell, which matches nothing.
pub fn key_text(cell: &Value, kind: FieldType) -> Option<String> {
    let text = match (kind, cell) {
        (FieldType::Url, Value::Object(_)) => cell.get("link")?.as_str()?.to_owned(),
        (_, Value::Text(t)) => t.clone(),
        (_, Value::Number(n)) => format_number(*n),
        (FieldType::Text | FieldType::Phone, Value::List(_)) => rich_text(cell)?,
        (FieldType::SingleSelect, Value::List(_)) => option(cell)?,
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::base::error::BaseErrorCode;

    fn field(kind: i64) -> Field {
        Field::new("fld", "Col", kind, None)
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    fn convert(kind: i64, input: &str) -> Result<String, BaseError> {
        to_cell(&json(input), &field(kind)).map(|v| serde_json::to_string(&v).unwrap())
    }

    #[test]
    fn each_type_takes_its_forms() {
        let table: &[(i64, &str, &str)] = &[
            (1, r#""hello""#, r#""hello""#),
            (1, "12.5", r#""12.5""#),
            (1, "3", r#""3""#),
            (1, "true", r#""true""#),
            (
                1,
                r#"[{"type":"text","text":"a"},{"type":"text","text":"b"}]"#,
                r#""ab""#,
            ),
            (1, r#""""#, r#""""#),
            (13, "84901234567", r#""84901234567""#),
            (2, "12.5", "12.5"),
            (2, r#"" -3e2 ""#, "-300"),
            (2, r#""""#, "null"),
            (3, r#""Done""#, r#""Done""#),
            (3, r#"["Done"]"#, r#""Done""#),
            (4, r#""a, b,,c""#, r#"["a","b","c"]"#),
            (4, r#"["a",2]"#, r#"["a","2"]"#),
            (5, "1732600000", "1732600000000"),
            (5, "1732600000123", "1732600000123"),
            (5, r#""1732600000""#, "1732600000000"),
            (5, r#""2026-11-26""#, "1795651200000"),
            (5, r#""2026-11-26T08:30:00+07:00""#, "1795656600000"),
            (5, r#""2026-11-26T01:30:00.250Z""#, "1795656600250"),
            (7, "true", "true"),
            (7, r#""No""#, "false"),
            (7, "1", "true"),
            (11, r#""ou_a, ou_b""#, r#"[{"id":"ou_a"},{"id":"ou_b"}]"#),
            (11, r#"[{"id":"ou_a","name":"A"}]"#, r#"[{"id":"ou_a"}]"#),
            (11, r#"{"id":"ou_a"}"#, r#"[{"id":"ou_a"}]"#),
            (
                15,
                r#""https://x.vn""#,
                r#"{"link":"https://x.vn","text":"https://x.vn"}"#,
            ),
            (
                15,
                r#"{"link":"https://x.vn","text":"X"}"#,
                r#"{"link":"https://x.vn","text":"X"}"#,
            ),
            (
                17,
                r#"[{"file_token":"boxA"}]"#,
                r#"[{"file_token":"boxA"}]"#,
            ),
            (18, r#""recA,recB""#, r#"["recA","recB"]"#),
            (21, r#"{"link_record_ids":["recA"]}"#, r#"["recA"]"#),
            (22, r#"{"location":"1,2"}"#, r#"{"location":"1,2"}"#),
            (5, "null", "null"),
        ];
        for (kind, input, want) in table {
            assert_eq!(
                convert(*kind, input).unwrap(),
                *want,
                "type {kind}, {input}"
            );
        }
    }

    #[test]
    fn wrong_forms_name_the_column_and_what_it_takes() {
        let table: &[(i64, &str, &str)] = &[
            (1, r#"{"a":1}"#, "text"),
            (2, r#""12,5""#, "a number"),
            (2, r#""NaN""#, "a number"),
            (2, r#""inf""#, "a number"),
            (2, "true", "a number"),
            (3, r#"{"a":1}"#, "an option name"),
            (4, r#"[{"a":1}]"#, "option names"),
            (5, r#""26/11/2026""#, "ISO 8601"),
            (5, r#""2026-02-30""#, "ISO 8601"),
            (5, r#""2026-11-26T25:00""#, "ISO 8601"),
            (5, "true", "ISO 8601"),
            (5, "1e300", "ISO 8601"),
            (7, r#""maybe""#, "true or false"),
            (11, "42", "ou_"),
            (11, r#"[{"name":"A"}]"#, "ou_"),
            (15, "42", "link"),
            (15, r#"{"text":"x"}"#, "link"),
            (17, "42", "file_token"),
            (18, "[1]", "record IDs"),
        ];
        for (kind, input, words) in table {
            let e = convert(*kind, input).unwrap_err();
            assert_eq!(e.code, BaseErrorCode::InvalidValue, "{kind} {input}");
            assert_eq!(e.column.as_deref(), Some("Col"));
            assert!(e.message.starts_with("column 'Col' ("), "{}", e.message);
            assert!(e.message.contains(words), "{kind} {input}: {}", e.message);
        }
    }

    #[test]
    fn errors_never_quote_the_value() {
        let e = convert(2, r#""SecretLooking-Value-9""#).unwrap_err();
        assert!(!e.message.contains("SecretLooking"), "{}", e.message);
    }

    #[test]
    fn read_only_columns_refuse_writes() {
        let e = convert(20, "1").unwrap_err();
        assert!(e.message.contains("read-only"), "{}", e.message);
        assert!(convert(1005, "null").is_err());
    }

    #[test]
    fn too_deep_values_are_an_item_error() {
        let e = to_cell(&Value::TooDeep, &field(1)).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
    }

    #[test]
    fn iso_dates_in_their_forms() {
        let base = parse_iso("2026-11-26T00:00:00Z").unwrap();
        for (text, delta) in [
            ("2026-11-26", 0),
            ("2026-11-26t00:00z", 0),
            ("2026-11-26 07:00+07:00", 0),
            ("2026-11-26T07:00:00+0700", 0),
            ("2026-11-26T07:00:00+07", 0),
            ("2026-11-25T19:00:00-05:00", 0),
            ("2026-11-26T00:00:00.5Z", 500),
            ("2026-11-26T00:00:00,123456Z", 123),
        ] {
            assert_eq!(parse_iso(text), Some(base + delta), "{text}");
        }
        assert_eq!(parse_iso("1970-01-01"), Some(0));
        assert_eq!(parse_iso("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_iso("1969-12-31T23:59:59Z"), Some(-1000));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-11-26T",
            "2026-11-26T10",
            "2026-11-26T10:00:00.",
            "2026-11-26T10:00+7",
            "2026-11-26T10:00:00Zjunk",
            "26-11-2026",
            "",
            "２０２６-11-26",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn seconds_and_milliseconds() {
        assert_eq!(date_ms(&Value::Number(1.0)), Some(1000));
        assert_eq!(
            date_ms(&Value::Number(99_999_999_999.0)),
            Some(99_999_999_999_000)
        );
        assert_eq!(
            date_ms(&Value::Number(100_000_000_000.0)),
            Some(100_000_000_000)
        );
        assert_eq!(date_ms(&Value::Number(1.5)), Some(1500));
        assert_eq!(date_ms(&Value::Number(f64::INFINITY)), None);
    }

    #[test]
    fn reading_out_and_comparing_keys() {
        let rich = json(r#"[{"type":"text","text":"Nguyễn "},{"type":"mention","text":"@B"}]"#);
        assert_eq!(simplify(rich.clone()), Value::text("Nguyễn @B"));
        assert_eq!(simplify(json("[]")), json("[]"));
        assert_eq!(
            simplify(json(r#"[{"id":"ou_a"}]"#)),
            json(r#"[{"id":"ou_a"}]"#)
        );
        assert_eq!(
            key_text(&rich, FieldType::Text).as_deref(),
            Some("Nguyễn @B")
        );
        assert_eq!(
            key_text(&Value::Number(42.0), FieldType::Number).as_deref(),
            Some("42")
        );
        assert_eq!(
            key_text(&Value::Number(0.5), FieldType::Number).as_deref(),
            Some("0.5")
        );
        let link = json(r#"{"link":"https://x.vn","text":"X"}"#);
        assert_eq!(
            key_text(&link, FieldType::Url).as_deref(),
            Some("https://x.vn")
        );
        assert_eq!(key_text(&Value::text(""), FieldType::Text), None);
        assert_eq!(key_text(&Value::Null, FieldType::Text), None);
        assert_eq!(format_number(1e21), "1000000000000000000000");
        assert_eq!(format_number(-0.0), "0");
    }
}
