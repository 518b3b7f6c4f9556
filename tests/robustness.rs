//! The fuzz smoke of the test command: property tests that feed the parsers and the validation
//! arbitrary input and check that they answer with a value or a typed error, never a panic (a
//! panic would trap the wasm instance), and never with the secret. The long runs use libFuzzer on
//! the same functions (fuzz/, scripts/fuzz.sh).
#![cfg(not(target_arch = "wasm32"))]

use larkbase_get_token::error::ErrorCode;
use larkbase_get_token::json;
use larkbase_get_token::params::{self, Input, RawParams, TokenType};
use larkbase_get_token::response;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bodies that look like Lark's answers: JSON objects with the fields Lark uses, values of every
/// type, and the canary secret where a server might echo it.
fn lark_like_body() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("0".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        "[a-zA-Z0-9 _\\-\\\\\"/]{0,20}".prop_map(|s| json::quote(&s)),
        Just(json::quote(SECRET)),
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
            .map(|(k, v)| format!("{}:{v}", json::quote(k)))
            .collect();
        format!("{{{}}}", members.join(","))
    })
}

const SECRET: &str = "RobustCanary-5e7d";

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

proptest! {
    #![proptest_config(config())]

    #[test]
    fn json_reader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = json::read_object(&bytes);
    }

    #[test]
    fn json_reader_takes_any_text(text in "[\\[\\]{}\":,0-9a-z\\\\ .eE+-]{0,80}") {
        let _ = json::read_object(text.as_bytes());
    }

    #[test]
    fn parse_answers_every_status_and_body_without_the_secret(
        status in any::<u16>(),
        body in lark_like_body(),
        app in any::<bool>(),
    ) {
        let token_type = if app { TokenType::App } else { TokenType::Tenant };
        match response::parse(status, body.as_bytes(), token_type, SECRET) {
            Ok(token) => {
                prop_assert!((200..=299).contains(&status));
                prop_assert!(!token.access_token.is_empty() && !token.access_token.contains(SECRET));
                prop_assert!(token.expires_in >= 1);
                prop_assert!(!token.msg.contains(SECRET));
            }
            Err(e) => {
                let shown = format!("{e:?} {e}");
                prop_assert!(!shown.contains(SECRET), "{}", shown);
                prop_assert!(e.code != ErrorCode::InvalidParams);
            }
        }
        let _ = response::parse_ack(status, body.as_bytes(), SECRET);
    }

    #[test]
    fn base_url_takes_any_text(text in ".{0,60}", url in "(https?|ftp)://[a-z0-9.:@\\[\\]/?#_-]{0,40}") {
        for candidate in [text, url] {
            if let Ok(base) = params::base_url(&candidate) {
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
        fields in prop::collection::vec(input(), 10),
    ) {
        let mut f = fields.into_iter();
        let raw = RawParams {
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
        };
        if let Err(e) = params::validate(raw) {
            prop_assert_eq!(e.code, ErrorCode::InvalidParams);
            prop_assert!(e.field.is_some());
        }
    }

    #[test]
    fn an_echoed_secret_is_always_redacted(
        secret in "[!-~]{1,40}",
        before in ".{0,20}",
        after in ".{0,20}",
    ) {
        let echoed = format!("{before}{secret}{after}");
        prop_assert!(!response::redact(echoed, &secret).contains(&secret));
    }
}
