#![no_main]
// Any status and body: a token or a typed error, and the secret in neither, even when the body
// echoes it.

use larkbase_get_token::params::TokenType;
use larkbase_get_token::response;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "FuzzCanary-secret-9b1";

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
    match response::parse(status, &echoing, token_type, SECRET) {
        Ok(token) => assert!(!token.access_token.contains(SECRET) && !token.msg.contains(SECRET)),
        Err(e) => assert!(!format!("{e:?}").contains(SECRET)),
    }
    if let Err(e) = response::parse_ack(status, &echoing, SECRET) {
        assert!(!format!("{e:?}").contains(SECRET));
    }
});
