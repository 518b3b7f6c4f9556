#![no_main]
// Any text in any field: valid params or INVALID_PARAMS naming a field; base URLs that pass are
// always http(s) without user info, query or fragment (an `@` in the path is only a path).

use larkbase_get_token::error::ErrorCode;
use larkbase_get_token::token::params::{self, Input, RawParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(base) = larkbase_get_token::domain::base_url(&text) {
        let (scheme, rest) = base.split_once("://").expect("a scheme");
        assert!(scheme == "https" || scheme == "http");
        assert!(!rest.split('/').next().unwrap_or_default().contains('@'));
        assert!(!base.contains(['?', '#']));
    }
    let mut parts = text.split('\u{1}').map(|part| Some(Input::Text(part.to_owned())));
    let raw = RawParams {
        app_id: parts.next().flatten(),
        app_secret: parts.next().flatten(),
        token_type: parts.next().flatten(),
        domain: parts.next().flatten(),
        app_ticket: parts.next().flatten(),
        tenant_key: parts.next().flatten(),
        timeout_ms: data.first().map(|b| Input::Number(f64::from(*b) * 1000.0)),
        ..RawParams::default()
    };
    if let Err(e) = params::validate(raw) {
        assert_eq!(e.code, ErrorCode::InvalidParams);
        assert!(e.field.is_some());
    }
});
