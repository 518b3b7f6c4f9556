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

/// The module's JSON reading, as the native tests do it.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Malformed> {
    let text = std::str::from_utf8(body).map_err(|_| Malformed::NotJson)?;
    larkbase_get_token::http::decode_json(text, usize::MAX)
}
