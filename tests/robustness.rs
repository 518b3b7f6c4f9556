//! The fuzz smoke of the test command: property tests that feed the answer parsing, the secret
//! search and the validation arbitrary input and check that they answer with a value or a typed
//! error, never a panic (a panic would trap the wasm instance), and never with the secret. The
//! long runs use libFuzzer on the same functions (fuzz/, scripts/fuzz.sh).
#![cfg(not(target_arch = "wasm32"))]

use larkbase_get_token::error::{ErrorCode, TokenError, WITHHELD};
use larkbase_get_token::http::Malformed;
use larkbase_get_token::redact::SecretForms;
use larkbase_get_token::token::params::{self, Input, RawParams, TokenType};
use larkbase_get_token::token::response::{self, LarkAnswer};
use proptest::prelude::*;

mod common;

use common::config;

fn decode(body: &[u8]) -> Result<LarkAnswer, Malformed> {
    common::decode(body)
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// Bodies that look like Lark's answers: JSON objects with the fields Lark uses, values of every
/// type, and the canary secret where a server might echo it.
fn lark_like_body() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("0".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        "[a-zA-Z0-9 _\\-\\\\\"/]{0,20}".prop_map(|s| quote(&s)),
        Just(quote(SECRET)),
        Just(quote(&SECRET.to_uppercase())),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("[1,{\"a\":[]}]".to_owned()),
    ];
    let key = prop_oneof![
        Just("code"),
        Just("msg"),
        Just("expire"),
        Just("tenant_access_token"),
        Just("app_access_token"),
        Just("other"),
    ];
    prop::collection::vec((key, value), 0..7).prop_map(|fields| {
        let members: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}:{v}", quote(k)))
            .collect();
        format!("{{{}}}", members.join(","))
    })
}

const SECRET: &str = "RobustCanary-5e7d-0123456789";

fn input() -> impl Strategy<Value = Option<Input>> {
    prop_oneof![
        Just(None),
        Just(Some(Input::Missing)),
        ".{0,40}".prop_map(|s| Some(Input::Text(s))),
        "[ -~]{0,300}".prop_map(|s| Some(Input::Text(s))),
        Just(Some(Input::LongText)),
        any::<f64>().prop_map(|n| Some(Input::Number(n))),
        any::<bool>().prop_map(|b| Some(Input::Bool(b))),
        Just(Some(Input::Other("object"))),
    ]
}

/// Ways a server may spell what it echoes.
fn spelled(secret: &str, how: u8) -> String {
    match how % 8 {
        0 => secret.to_owned(),
        1 => quote(secret),
        2 => secret.bytes().map(|b| format!("%{b:02x}")).collect(),
        3 => secret
            .chars()
            .map(|c| format!("&#{};", u32::from(c)))
            .collect(),
        4 => secret
            .chars()
            .map(|c| format!("\\u{:04X}", u32::from(c)))
            .collect(),
        5 => secret.chars().rev().collect(),
        6 => secret.to_uppercase(),
        _ => secret.chars().map(|c| format!("{c}\u{200B}")).collect(),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decoding_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn the_secret_search_takes_any_text(text in ".{0,200}", escapes in "[\\\\%&#;xXuU0-9a-fA-F]{0,60}") {
        let forms = SecretForms::new(SECRET);
        let _ = forms.found_in(&text);
        let _ = forms.found_in(&escapes);
        let _ = forms.found_in(&format!("{escapes}{text}"));
    }

    #[test]
    fn parse_answers_every_status_and_body_without_the_secret(
        status in any::<u16>(),
        body in lark_like_body(),
        app in any::<bool>(),
    ) {
        let forms = SecretForms::new(SECRET);
        let token_type = if app { TokenType::App } else { TokenType::Tenant };
        match response::parse(status, decode(body.as_bytes()), token_type, &forms) {
            Ok(token) => {
                prop_assert!((200..=299).contains(&status));
                prop_assert!(!token.access_token.is_empty());
                prop_assert!(!forms.found_in(&token.access_token));
                prop_assert!(token.expires_in >= 1);
                prop_assert!(!forms.found_in(&token.msg));
            }
            Err(e) => {
                let shown = format!("{e:?} {e}");
                prop_assert!(!forms.found_in(&shown), "{}", shown);
                prop_assert!(e.code != ErrorCode::InvalidParams);
            }
        }
        let _ = response::parse_ack(status, decode(body.as_bytes()), &forms);
    }

    #[test]
    fn base_url_takes_any_text(text in ".{0,60}", url in "(https?|ftp)://[a-z0-9.:@\\[\\]/?#_-]{0,40}") {
        for candidate in [text, url] {
            if let Ok(base) = larkbase_get_token::domain::base_url(&candidate) {
                let (scheme, rest) = base.split_once("://").expect("a scheme");
                prop_assert!(scheme == "https" || scheme == "http");
                // No user info; an `@` in the path is only a path.
                prop_assert!(!rest.split('/').next().unwrap_or_default().contains('@'));
                prop_assert!(!base.contains(['?', '#', ' ']));
            }
        }
    }

    #[test]
    fn validation_takes_any_inputs(
        fields in prop::collection::vec(input(), 12),
    ) {
        let mut f = fields.into_iter();
        let raw = RawParams {
            unreadable: f.next().flatten(),
            app_id: f.next().flatten(),
            app_secret: f.next().flatten(),
            token_type: f.next().flatten(),
            domain: f.next().flatten(),
            timeout_ms: f.next().flatten(),
            app_ticket: f.next().flatten(),
            tenant_key: f.next().flatten(),
            cache: f.next().flatten(),
            max_attempts: f.next().flatten(),
            deadline_ms: f.next().flatten(),
            app_type: f.next().flatten(),
        };
        if let Err(e) = params::validate(raw) {
            prop_assert_eq!(e.code, ErrorCode::InvalidParams);
            prop_assert!(e.field.is_some());
        }
    }

    #[test]
    fn an_echoed_secret_always_withholds_the_message(
        secret in "[!-~]{16,40}",
        before in ".{0,20}",
        after in ".{0,20}",
        how in any::<u8>(),
    ) {
        let echoed = format!("{before}{}{after}", spelled(&secret, how));
        let e = TokenError::lark(10014, &echoed, 400, &SecretForms::new(&secret));
        prop_assert_eq!(e.lark_msg.as_deref(), Some(WITHHELD));
    }
}
