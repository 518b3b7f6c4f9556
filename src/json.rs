//! The little JSON this crate needs: escaping strings for request bodies, and reading the flat
//! fields of Lark's answers. Written out rather than taken from serde_json, whose float formatting
//! and generic machinery were most of the WebAssembly module's size.

use std::collections::HashMap;

/// `text` as a JSON string literal, quotes included.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(hex_digit(u32::from(c) >> 4));
                out.push(hex_digit(u32::from(c) & 0xf));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex_digit(n: u32) -> char {
    char::from_digit(n, 16).unwrap_or('0')
}

/// A JSON object from a `"key": "value"` list, for request bodies.
pub fn object(fields: &[(&str, &str)]) -> String {
    let members: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}:{}", quote(key), quote(value)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// A value of a top-level field, as far as this crate cares: anything nested is only skipped.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    /// A whole number that fits in i64.
    Int(i64),
    /// Any other number.
    Number,
    Bool,
    Null,
    /// An object or an array.
    Nested,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// Not JSON at all, or cut short.
    Syntax,
    /// JSON, but not an object, or an object with a key twice.
    Shape,
}

/// Nested values deeper than this are refused rather than followed, so no input can exhaust the
/// stack.
const MAX_DEPTH: usize = 64;

/// The fields of a top-level JSON object.
pub fn read_object(input: &[u8]) -> Result<HashMap<String, Value>, ReadError> {
    let mut reader = Reader { input, at: 0 };
    reader.skip_space();
    if reader.peek() != Some(b'{') {
        // Valid JSON of another shape is a shape error; anything else a syntax error.
        reader.value(0)?;
        reader.skip_space();
        return Err(if reader.at == input.len() {
            ReadError::Shape
        } else {
            ReadError::Syntax
        });
    }
    reader.at += 1;
    let mut fields = HashMap::new();
    reader.skip_space();
    if reader.peek() == Some(b'}') {
        reader.at += 1;
    } else {
        loop {
            reader.skip_space();
            let key = reader.string()?;
            reader.skip_space();
            reader.expect(b':')?;
            let value = reader.value(1)?;
            if fields.insert(key, value).is_some() {
                return Err(ReadError::Shape);
            }
            reader.skip_space();
            match reader.next() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Err(ReadError::Syntax),
            }
        }
    }
    reader.skip_space();
    if reader.at == input.len() {
        Ok(fields)
    } else {
        Err(ReadError::Syntax)
    }
}

struct Reader<'a> {
    input: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Result<(), ReadError> {
        if self.next() == Some(byte) {
            Ok(())
        } else {
            Err(ReadError::Syntax)
        }
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), ReadError> {
        let end = self.at.saturating_add(word.len());
        if self.input.get(self.at..end) == Some(word) {
            self.at = end;
            Ok(())
        } else {
            Err(ReadError::Syntax)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ReadError> {
        self.skip_space();
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'{') => self.nested(b'}', depth, true),
            Some(b'[') => self.nested(b']', depth, false),
            Some(b't') => self.literal(b"true").map(|()| Value::Bool),
            Some(b'f') => self.literal(b"false").map(|()| Value::Bool),
            Some(b'n') => self.literal(b"null").map(|()| Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(ReadError::Syntax),
        }
    }

    /// Skips an object or array, checking its syntax.
    fn nested(&mut self, close: u8, depth: usize, keyed: bool) -> Result<Value, ReadError> {
        if depth >= MAX_DEPTH {
            return Err(ReadError::Syntax);
        }
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(Value::Nested);
        }
        loop {
            if keyed {
                self.skip_space();
                self.string()?;
                self.skip_space();
                self.expect(b':')?;
            }
            self.value(depth + 1)?;
            self.skip_space();
            match self.next() {
                Some(b',') => continue,
                Some(byte) if byte == close => return Ok(Value::Nested),
                _ => return Err(ReadError::Syntax),
            }
        }
    }

    fn number(&mut self) -> Result<Value, ReadError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(ReadError::Syntax),
        }
        let mut whole = true;
        if self.peek() == Some(b'.') {
            whole = false;
            self.at += 1;
            self.require_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            whole = false;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.require_digits()?;
        }
        let text = self
            .input
            .get(start..self.at)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .ok_or(ReadError::Syntax)?;
        Ok(match (whole, text.parse::<i64>()) {
            (true, Ok(n)) => Value::Int(n),
            _ => Value::Number,
        })
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn require_digits(&mut self) -> Result<(), ReadError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(ReadError::Syntax);
        }
        self.digits();
        Ok(())
    }

    fn string(&mut self) -> Result<String, ReadError> {
        self.expect(b'"')?;
        let mut bytes = Vec::new();
        loop {
            match self.next().ok_or(ReadError::Syntax)? {
                b'"' => return String::from_utf8(bytes).map_err(|_| ReadError::Syntax),
                b'\\' => {
                    let c = match self.next().ok_or(ReadError::Syntax)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return Err(ReadError::Syntax),
                    };
                    let mut buf = [0; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                byte if byte < 0x20 => return Err(ReadError::Syntax),
                byte => bytes.push(byte),
            }
        }
    }

    /// The character of a `\uXXXX` escape, joining a surrogate pair; a lone surrogate is an error.
    fn escaped_char(&mut self) -> Result<char, ReadError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                self.literal(b"\\u")?;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(ReadError::Syntax);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(ReadError::Syntax),
            code => code,
        };
        char::from_u32(code).ok_or(ReadError::Syntax)
    }

    fn hex4(&mut self) -> Result<u32, ReadError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = char::from(self.next().ok_or(ReadError::Syntax)?)
                .to_digit(16)
                .ok_or(ReadError::Syntax)?;
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("plain"), r#""plain""#);
        assert_eq!(quote(r#"a"b\c/d"#), r#""a\"b\\c/d""#);
        assert_eq!(quote("line\nbreak\u{1}"), r#""line\nbreak\u0001""#);
        assert_eq!(quote("Tiếng Việt"), "\"Tiếng Việt\"");
        assert_eq!(
            object(&[("app_id", "cli_1"), ("app_secret", "s\"")]),
            r#"{"app_id":"cli_1","app_secret":"s\""}"#
        );
    }

    #[test]
    fn reads_flat_fields_and_skips_nested_ones() {
        let fields = read_object(
            br#" { "code": 0, "msg": "ok\u00e9\ud83d\ude00", "expire": 7200, "x": [1, {"y": [true, null]}], "f": -1.5e3, "b": false, "n": null } "#,
        )
        .unwrap();
        assert_eq!(fields["code"], Value::Int(0));
        assert_eq!(fields["msg"], Value::Str("oké😀".into()));
        assert_eq!(fields["expire"], Value::Int(7200));
        assert_eq!(fields["x"], Value::Nested);
        assert_eq!(fields["f"], Value::Number);
        assert_eq!(fields["b"], Value::Bool);
        assert_eq!(fields["n"], Value::Null);
        assert_eq!(read_object(b"{}").unwrap().len(), 0);
    }

    #[test]
    fn numbers() {
        let num = |text: &str| {
            read_object(format!(r#"{{"n":{text}}}"#).as_bytes()).map(|mut f| f.remove("n"))
        };
        assert_eq!(num("0"), Ok(Some(Value::Int(0))));
        assert_eq!(num("-42"), Ok(Some(Value::Int(-42))));
        assert_eq!(num("9223372036854775807"), Ok(Some(Value::Int(i64::MAX))));
        assert_eq!(num("9223372036854775808"), Ok(Some(Value::Number)));
        assert_eq!(num("1.0"), Ok(Some(Value::Number)));
        assert_eq!(num("1e3"), Ok(Some(Value::Number)));
        for bad in ["01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity"] {
            assert_eq!(num(bad), Err(ReadError::Syntax), "{bad}");
        }
    }

    #[test]
    fn errors() {
        for (input, error) in [
            (&b""[..], ReadError::Syntax),
            (b"<html>", ReadError::Syntax),
            (b"{", ReadError::Syntax),
            (br#"{"a":1"#, ReadError::Syntax),
            (br#"{"a":1,}"#, ReadError::Syntax),
            (br#"{"a" 1}"#, ReadError::Syntax),
            (br#"{a:1}"#, ReadError::Syntax),
            (br#"{"a":1} x"#, ReadError::Syntax),
            (br#"{"a":"\x"}"#, ReadError::Syntax),
            (br#"{"a":"\ud800"}"#, ReadError::Syntax),
            (br#"{"a":"\udc00"}"#, ReadError::Syntax),
            (b"{\"a\":\"tab\there\"}", ReadError::Syntax),
            (b"{\"a\":\"\xff\"}", ReadError::Syntax),
            (br#"{"a":tru}"#, ReadError::Syntax),
            (b"[]", ReadError::Shape),
            (b"null", ReadError::Shape),
            (b"42", ReadError::Shape),
            (br#""text""#, ReadError::Shape),
            (br#"{"a":1,"a":2}"#, ReadError::Shape),
        ] {
            assert_eq!(
                read_object(input),
                Err(error),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_followed() {
        let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(read_object(deep.as_bytes()), Err(ReadError::Syntax));
        let fine = format!(r#"{{"a":{}{}}}"#, "[".repeat(60), "]".repeat(60));
        assert!(read_object(fine.as_bytes()).is_ok());
    }
}
