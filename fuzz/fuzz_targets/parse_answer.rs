#![no_main]
// Any status and body, read as the module reads Lark's answers (JSON into the derived type, then
// judged): a token or a typed error, and the secret in neither, even when the body echoes it.

use larkbase_get_token::token::params::TokenType;
use larkbase_get_token::redact::SecretForms;
use larkbase_get_token::http::Malformed;
use larkbase_get_token::token::response::{self, LarkAnswer};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "FuzzCanary-secret-9b1";

/// As the module reads a body (`JSON.parse`, then `from_value`), and as the native tests do.
fn decode(body: &[u8]) -> Result<LarkAnswer, Malformed> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| Malformed::NotJson)?;
    serde_json::from_value(value).map_err(|_| Malformed::WrongShape)
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<3>() else {
        return;
    };
    let status = u16::from_le_bytes([head[0], head[1]]);
    let token_type = if head[2] & 1 == 0 { TokenType::Tenant } else { TokenType::App };
    let mut echoing = body.to_vec();
    if head[2] & 2 != 0 {
        echoing.extend_from_slice(SECRET.as_bytes());
    }
    let forms = SecretForms::new(SECRET);
    match response::parse(status, decode(&echoing), token_type, &forms) {
        Ok(token) => assert!(!forms.found_in(&token.access_token) && !forms.found_in(&token.msg)),
        Err(e) => assert!(!format!("{e:?}").contains(SECRET)),
    }
    if let Err(e) = response::parse_ack(status, decode(&echoing), &forms) {
        assert!(!format!("{e:?}").contains(SECRET));
    }
});
