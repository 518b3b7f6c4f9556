//! Reading JSON that anyone may have written (a server's answer, a caller's params) without letting
//! its shape hurt the reader.
//!
//! Two hazards come with serde-wasm-bindgen: a value of an unexpected kind makes it build an error
//! message that formats the value (`{:?}` of a JS array or object is recursive JS, which a value
//! nested a few thousand deep overflows, trapping the instance), and `JSON.parse` of a body made of
//! millions of tiny values blocks the event loop for seconds. So a body's shape is measured before it
//! is parsed (`check_shape`: its nesting and how many values it holds), and a field whose kind is
//! not certain is read as a `Scalar`, which takes any kind and never fails.

use crate::http::Malformed;
use serde::de::{
    self, Deserialize, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::fmt;

/// Lark's answers nest about eight levels (envelope, data, items, a record, its fields, a cell, a
/// segment, a mention); four times that is still far from where a reader's stack is at risk.
pub const MAX_DEPTH: usize = 32;

/// Why a body was refused before it was parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    TooDeep,
    TooManyValues,
}

/// Measures a JSON text before `JSON.parse` sees it: at most `MAX_DEPTH` levels of arrays and
/// objects, and at most `max_values` values (counted as the brackets and commas outside strings,
/// close enough to what a parser allocates). A linear scan of bytes already in memory: cheap next to
/// the parse it may spare. Text that is not JSON passes, for the parser to refuse.
pub fn check_shape(text: &str, max_values: usize) -> Result<(), Shape> {
    shape(text, MAX_DEPTH, 1, max_values)
}

/// `check_shape` for a caller's params, which may nest deeper (a cell's value is theirs to shape,
/// and read only as far as `Value` reads) but may not hold more than `max_values` values, an
/// object counted as `OBJECT_VALUES`: read into values, one takes that many times a number's room.
pub fn check_values(text: &str, max_values: usize) -> Result<(), Shape> {
    const OBJECT_VALUES: usize = 8;
    shape(text, usize::MAX, OBJECT_VALUES, max_values)
}

fn shape(text: &str, max_depth: usize, object: usize, max_values: usize) -> Result<(), Shape> {
    let mut depth = 0usize;
    let mut values = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                values += if byte == b'{' { object } else { 1 };
                if depth > max_depth {
                    return Err(Shape::TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => values += 1,
            _ => continue,
        }
        if values > max_values {
            return Err(Shape::TooManyValues);
        }
    }
    Ok(())
}

/// A JSON text read into `T` in Rust, after its shape is measured: how Lark Base's answers and the
/// calls' params and results are read. (serde_json skips what it ignores without recursion, and
/// `T`'s fields take any kind: no answer can make it recurse deeply or format what it read.)
pub fn read_json<T: DeserializeOwned>(text: &str, max_values: usize) -> Result<T, Malformed> {
    check_shape(text, max_values)?;
    serde_json::from_str(text).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            Malformed::NotJson
        } else {
            Malformed::WrongShape
        }
    })
}

/// A field read whatever JSON kind it holds. Lists and objects are skipped without being looked
/// into (their elements are passed over, not read) and become `Other`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Scalar {
    /// Missing, `null` or `undefined`.
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    Other,
}

impl Scalar {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A whole number that a JS number holds exactly.
    pub fn as_whole(&self) -> Option<i64> {
        self.as_f64()
            .filter(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0)
            .map(|n| n as i64)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn into_text(self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scalar, D::Error> {
        deserializer.deserialize_any(self)
    }

    // Elements are passed over as `IgnoredAny`, which serde-wasm-bindgen skips without reading
    // them; serde_json, the native tests' reader, wants them consumed.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_measured_outside_strings() {
        assert_eq!(check_shape(r#"{"a":[1,2,{"b":"[[[[,,,,"}]}"#, 10), Ok(()));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(check_shape(&deep, 1000), Ok(()));
        let deeper = format!("[{deep}]");
        assert_eq!(check_shape(&deeper, 1000), Err(Shape::TooDeep));
        assert_eq!(check_shape("[0,0,0,0]", 3), Err(Shape::TooManyValues));
        assert_eq!(check_shape("[0,0,0,0]", 4), Ok(()));
        // An escaped quote does not end the string; an escaped backslash does not escape the quote.
        assert_eq!(check_shape(r#"["\"[[[[[","\\",[[]]]"#, 10), Ok(()));
        assert_eq!(check_shape("not json ]]]]}}}", 10), Ok(()));
    }

    #[test]
    fn scalars_take_any_kind() {
        let read = |json: &str| serde_json::from_str::<Scalar>(json).unwrap();
        assert_eq!(read("12.5").as_f64(), Some(12.5));
        assert_eq!(read("7").as_whole(), Some(7));
        assert_eq!(read("7.5").as_whole(), None);
        assert_eq!(read("1e300").as_whole(), None);
        assert_eq!(read(r#""x""#).as_str(), Some("x"));
        assert_eq!(read("true").as_bool(), Some(true));
        assert!(read("null").is_null());
        assert_eq!(read("[[1,[2]],{}]"), Scalar::Other);
        assert_eq!(read(r#"{"a":{"b":[1]}}"#), Scalar::Other);
    }
}
