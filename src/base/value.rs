//! A JSON-shaped value for what has no fixed shape: the cells of input rows and of Lark's records.
//!
//! Not `serde_json::Value`, for two reasons: objects keep their key order (the table's column order
//! in records, the user's field order in rows), and nesting is capped while reading, so that a
//! hostile answer or item nested thousands deep cannot exhaust the wasm stack. What lies below the
//! cap is skipped, and its place holds `TooDeep`, which conversion turns into an error for that item
//! alone instead of failing the whole call.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Lark's cells nest three levels at most (a list of objects holding lists); user values a few more.
pub const MAX_DEPTH: usize = 16;
/// Integers up to this size are exact in a JS number, and are written as integers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<Value>),
    /// Key order as read. Lookups take the first of duplicate keys (JSON.parse leaves none).
    Object(Vec<(String, Value)>),
    /// Something nested deeper than `MAX_DEPTH`, skipped when read; written as null.
    TooDeep,
}

impl Value {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// The value of `key` when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Self::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The name of this value's kind, for error messages that must not quote the value itself.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::Text(_) => "a string",
            Self::List(_) => "a list",
            Self::Object(_) => "an object",
            Self::TooDeep => "a value nested too deeply",
        }
    }
}

/// Takes `key` out of an object's entries, leaving `Null` in its place; `Null` when there is none.
pub fn take(entries: &mut [(String, Value)], key: &str) -> Value {
    entries
        .iter_mut()
        .find(|(k, _)| k == key)
        .map(|(_, v)| std::mem::take(v))
        .unwrap_or_default()
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null | Self::TooDeep => serializer.serialize_unit(),
            Self::Bool(flag) => serializer.serialize_bool(*flag),
            Self::Number(n) if !n.is_finite() => serializer.serialize_unit(),
            // Whole numbers as integers, so that 42 is not written as 42.0 by serializers that
            // tell the two apart.
            Self::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER => {
                serializer.serialize_i64(*n as i64)
            }
            Self::Number(n) => serializer.serialize_f64(*n),
            Self::Text(text) => serializer.serialize_str(text),
            Self::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Seed { depth: 0 }.deserialize(deserializer)
    }
}

/// Reads one value at a given depth.
struct Seed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Value::TooDeep);
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed {
            depth: self.depth + 1,
        })? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Value::TooDeep);
        }
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed {
                depth: self.depth + 1,
            })?;
            entries.push((key, value));
        }
        Ok(Value::Object(entries))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn read(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn round_trips_and_keeps_key_order() {
        let json = r#"{"zeta":1,"alpha":[true,null,"x",1.5],"mid":{"b":2,"a":3}}"#;
        assert_eq!(serde_json::to_string(&read(json)).unwrap(), json);
    }

    #[test]
    fn whole_numbers_are_written_as_integers() {
        let v = Value::List(vec![
            Value::Number(42.0),
            Value::Number(-0.5),
            Value::Number(1e300),
            Value::Number(f64::NAN),
        ]);
        assert_eq!(serde_json::to_string(&v).unwrap(), "[42,-0.5,1e+300,null]");
    }

    #[test]
    fn nesting_below_the_cap_is_skipped_not_failed() {
        // serde_json stops at 128 levels by itself; the cap is far below that.
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let mut json = String::from(r#"{"ok":"yes","deep":"#);
        json.push_str(&deep);
        json.push('}');
        let v = read(&json);
        assert_eq!(v.get("ok"), Some(&Value::text("yes")));
        let mut level = v.get("deep").unwrap();
        let mut depth = 1;
        while let Value::List(items) = level {
            level = &items[0];
            depth += 1;
        }
        assert_eq!((level, depth), (&Value::TooDeep, MAX_DEPTH));
    }

    #[test]
    fn lookups_and_kinds() {
        let v = read(r#"{"a":"x","b":[1]}"#);
        assert_eq!(v.get("a").and_then(Value::as_str), Some("x"));
        assert_eq!(v.get("missing"), None);
        assert_eq!(v.get("b").unwrap().kind(), "a list");
        assert_eq!(Value::Null.get("a"), None);
    }
}
