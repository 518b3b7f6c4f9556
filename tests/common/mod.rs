//! What the property-test files share.

use larkbase_get_token::http::Malformed;
use proptest::prelude::ProptestConfig;
use serde::de::DeserializeOwned;

/// 2,000 cases each, or `PROPTEST_CASES`; no failure files written into the tree.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2000),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// What the wasm platform does with a body (`JSON.parse`, then serde-wasm-bindgen's
/// `from_value`), done with serde_json: not JSON is `NotJson`, JSON of the wrong shape
/// `WrongShape`, and a key given twice keeps its last value, as `JSON.parse` does.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Malformed> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| Malformed::NotJson)?;
    serde_json::from_value(value).map_err(|_| Malformed::WrongShape)
}
