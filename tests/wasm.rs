//! The binding layer under Node with wasm-bindgen-test: JS values in, JS results and errors out.
//! Runs with `wasm-bindgen-test-runner` (see scripts/test.sh); the native build skips this file.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Reflect};
use larkbase_get_token::token::wasm;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

const SECRET: &str = "WasmCanarySecret-3e1f0a9b";

/// The module's exports take the JS entry's snapshot of the params and the fetch apart; these
/// tests hand over a plain object, as the entry does, and its `fetch` beside it. Results come as
/// the tuple the entry turns into the documented object.
async fn get_token(params: JsValue) -> Result<JsValue, JsValue> {
    let _alive = KeepAlive::new();
    let fetch = if params.is_object() {
        get(&params, "fetch")
    } else {
        JsValue::UNDEFINED
    };
    let tuple = wasm::get_token(params, fetch).await?;
    let field = |n: u32| tuple.unchecked_ref::<Array>().get(n);
    Ok(object(&[
        ("access_token", field(0)),
        ("expires_in", field(1)),
        ("token_type", field(2)),
        ("request", object(&[("url", field(3))])),
        ("response", object(&[("code", 0.into()), ("msg", field(4))])),
    ]))
}

/// Keeps Node running while a call is pending, as the JS entry does: the module's own timers
/// (`AbortSignal.timeout`) do not, and the runner exits when the event loop empties.
struct KeepAlive(JsValue);

impl KeepAlive {
    fn new() -> Self {
        let open = Function::new_no_args(
            "const { port1 } = new MessageChannel(); port1.onmessage = () => {}; return port1;",
        );
        Self(open.call0(&JsValue::NULL).unwrap())
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        let close: Function = get(&self.0, "close").unchecked_into();
        close.call0(&self.0).unwrap();
    }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap()
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (key, value) in pairs {
        Reflect::set(&o, &(*key).into(), value).unwrap();
    }
    o.into()
}

/// A fetch stand-in that records its arguments on itself and answers with `body` and `status`.
fn fake_fetch(status: u16, body: &str) -> Function {
    let make = Function::new_with_args(
        "status, body",
        "const f = async (url, init) => { f.calls.push({ url, init }); \
         return new Response(body, { status, headers: { 'Content-Type': 'application/json' } }); }; \
         f.calls = []; return f;",
    );
    make.call2(&JsValue::NULL, &status.into(), &body.into())
        .unwrap()
        .unchecked_into()
}

fn params(fetch: &Function, extra: &[(&str, JsValue)]) -> JsValue {
    // Each test sees its own exchange: no cached token, no retries.
    let p = object(&[
        ("appId", "cli_a1b2c3d4e5f6a7b8".into()),
        ("appSecret", SECRET.into()),
        ("fetch", fetch.into()),
        ("cache", false.into()),
        ("maxAttempts", 1.into()),
    ]);
    for (key, value) in extra {
        Reflect::set(&p, &(*key).into(), value).unwrap();
    }
    p
}

async fn error_of(params: JsValue) -> JsValue {
    get_token(params).await.expect_err("should reject")
}

fn assert_no_secret(value: &JsValue) {
    let shown = js_sys::JSON::stringify(value)
        .unwrap()
        .as_string()
        .unwrap_or_default();
    let message = get(value, "message").as_string().unwrap_or_default();
    assert!(
        !shown.contains(SECRET) && !message.contains(SECRET),
        "{shown} {message}"
    );
}

#[wasm_bindgen_test]
async fn result_object_has_the_documented_fields() {
    let fetch = fake_fetch(
        200,
        r#"{"code":0,"msg":"ok","tenant_access_token":"t-abc","expire":7140}"#,
    );
    let result = get_token(params(&fetch, &[])).await.unwrap();
    let keys = Object::keys(result.unchecked_ref::<Object>());
    let keys: Vec<String> = keys.iter().filter_map(|k| k.as_string()).collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "token_type",
            "request",
            "response"
        ]
    );
    assert_eq!(get(&result, "access_token"), "t-abc");
    assert_eq!(get(&result, "expires_in").as_f64(), Some(7140.0));
    assert_eq!(get(&result, "token_type"), "tenant_access_token");
    assert_eq!(
        get(&get(&result, "request"), "url"),
        "https://open.larksuite.com/open-apis/auth/v3/tenant_access_token/internal?app_id=cli_a1***a7b8"
    );
    assert_eq!(get(&get(&result, "response"), "code").as_f64(), Some(0.0));
    assert_eq!(get(&get(&result, "response"), "msg"), "ok");
    assert_no_secret(&result);
}

#[wasm_bindgen_test]
async fn fetch_gets_post_json_manual_redirect_and_a_signal() {
    let fetch = fake_fetch(
        200,
        r#"{"code":0,"msg":"ok","app_access_token":"a-1","expire":60}"#,
    );
    let p = params(
        &fetch,
        &[
            ("tokenType", "app_access_token".into()),
            ("domain", "feishu".into()),
        ],
    );
    get_token(p).await.unwrap();
    let calls: Array = get(&fetch, "calls").unchecked_into();
    assert_eq!(calls.length(), 1);
    let call = calls.get(0);
    assert_eq!(
        get(&call, "url"),
        "https://open.feishu.cn/open-apis/auth/v3/app_access_token/internal"
    );
    let init = get(&call, "init");
    assert_eq!(get(&init, "method"), "POST");
    assert_eq!(get(&init, "redirect"), "manual");
    assert_eq!(
        get(&get(&init, "headers"), "Content-Type"),
        "application/json; charset=utf-8"
    );
    assert!(get(&init, "signal").is_object());
    let body = js_sys::JSON::parse(&get(&init, "body").as_string().unwrap()).unwrap();
    assert_eq!(get(&body, "app_id"), "cli_a1b2c3d4e5f6a7b8");
    assert_eq!(get(&body, "app_secret"), SECRET);
}

#[wasm_bindgen_test]
async fn errors_are_real_errors_with_name_code_and_details() {
    let fetch = fake_fetch(200, r#"{"code":10014,"msg":"app secret invalid"}"#);
    let error = error_of(params(&fetch, &[])).await;
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&error, "name"), "LarkbaseTokenError");
    assert_eq!(get(&error, "code"), "AUTH_FAILED");
    assert_eq!(get(&error, "larkCode").as_f64(), Some(10014.0));
    assert_eq!(get(&error, "larkMsg"), "app secret invalid");
    assert_eq!(get(&error, "httpStatus").as_f64(), Some(200.0));
    assert!(get(&error, "hint")
        .as_string()
        .unwrap()
        .contains("App Secret"));
    assert!(get(&error, "field").is_undefined());
}

#[wasm_bindgen_test]
async fn invalid_params_name_the_field_without_calling_fetch() {
    let fetch = fake_fetch(200, "{}");
    let cases: [(JsValue, &str); 5] = [
        (JsValue::NULL, "params"),
        (object(&[("appSecret", SECRET.into())]), "appId"),
        (
            params(&fetch, &[("appSecret", JsValue::from(7))]),
            "appSecret",
        ),
        (
            params(&fetch, &[("timeoutMs", JsValue::from(f64::NAN))]),
            "timeoutMs",
        ),
        (params(&fetch, &[("fetch", JsValue::from(true))]), "fetch"),
    ];
    for (p, field) in cases {
        let error = error_of(p).await;
        assert_eq!(get(&error, "code"), "INVALID_PARAMS");
        assert_eq!(get(&error, "field"), field);
    }
    let calls: Array = get(&fetch, "calls").unchecked_into();
    assert_eq!(calls.length(), 0);
}

#[wasm_bindgen_test]
async fn an_echoed_secret_withholds_the_message() {
    let body = format!(r#"{{"code":10014,"msg":"bad body: {{\"app_secret\":\"{SECRET}\"}}"}}"#);
    let error = error_of(params(&fake_fetch(400, &body), &[])).await;
    assert_no_secret(&error);
    assert!(get(&error, "larkMsg")
        .as_string()
        .unwrap()
        .contains("withheld"));
}

#[wasm_bindgen_test]
async fn the_cache_answers_synchronously_and_only_a_hit() {
    let fetch = fake_fetch(
        200,
        r#"{"code":0,"tenant_access_token":"t-sync","expire":7200}"#,
    );
    let p = || {
        params(
            &fetch,
            &[
                ("appId", "cli_sync_00000001".into()),
                ("cache", true.into()),
            ],
        )
    };
    assert!(wasm::cached_token(p()).is_undefined(), "a miss");
    get_token(p()).await.unwrap();
    let hit: Array = wasm::cached_token(p()).unchecked_into();
    assert_eq!(hit.get(0), "t-sync");
    assert_eq!(hit.get(1).as_f64(), Some(7200.0));
    assert!(wasm::cached_token(JsValue::NULL).is_undefined());
    assert!(wasm::cached_token(params(&fetch, &[("cache", false.into())])).is_undefined());
}

#[wasm_bindgen_test]
async fn a_fetch_that_never_settles_times_out() {
    // Nothing else keeps Node running here: the call itself must, until its timeout fires.
    let never = Function::new_no_args("return new Promise(() => {})");
    let error = error_of(params(&never, &[("timeoutMs", 50.into())])).await;
    assert_eq!(get(&error, "code"), "TIMEOUT");
}

#[wasm_bindgen_test]
async fn a_response_without_a_stream_is_read_with_text() {
    let fetch = Function::new_no_args(
        "return Promise.resolve({ status: 200, text: async () => \
         '{\"code\":0,\"tenant_access_token\":\"t-plain\",\"expire\":100}' })",
    );
    let result = get_token(params(&fetch, &[])).await.unwrap();
    assert_eq!(get(&result, "access_token"), "t-plain");
}

#[wasm_bindgen_test]
async fn odd_fetch_results_are_bad_responses_not_traps() {
    for returned in ["null", "42", "({ status: 'x' })", "({ status: 200 })"] {
        let fetch = Function::new_no_args(&format!("return Promise.resolve({returned})"));
        let error = error_of(params(&fetch, &[])).await;
        assert_eq!(get(&error, "code"), "BAD_RESPONSE", "{returned}");
    }
    // The same instance still works afterwards.
    let fetch = fake_fetch(
        200,
        r#"{"code":0,"tenant_access_token":"t-after","expire":100}"#,
    );
    assert!(get_token(params(&fetch, &[])).await.is_ok());
}

#[wasm_bindgen_test]
async fn a_cached_token_answers_without_calling_fetch_until_the_cache_is_cleared() {
    let fetch = fake_fetch(
        200,
        r#"{"code":0,"tenant_access_token":"t-cached","expire":7200}"#,
    );
    let cached = || {
        params(
            &fetch,
            &[
                ("appId", "cli_cached_0000001".into()),
                ("cache", true.into()),
            ],
        )
    };
    get_token(cached()).await.unwrap();
    let again = get_token(cached()).await.unwrap();
    assert_eq!(get(&again, "access_token"), "t-cached");
    let calls: Array = get(&fetch, "calls").unchecked_into();
    assert_eq!(calls.length(), 1);
    wasm::clear_token_cache();
    get_token(cached()).await.unwrap();
    assert_eq!(calls.length(), 2);
}

#[wasm_bindgen_test]
async fn retries_call_fetch_again_and_the_error_counts_attempts() {
    let fetch = fake_fetch(503, "<html>busy</html>");
    let error = error_of(params(&fetch, &[("maxAttempts", 2.into())])).await;
    assert_eq!(get(&error, "code"), "HTTP_ERROR");
    assert_eq!(get(&error, "attempts").as_f64(), Some(2.0));
    let calls: Array = get(&fetch, "calls").unchecked_into();
    assert_eq!(calls.length(), 2);
}

#[wasm_bindgen_test]
async fn a_thenable_from_fetch_is_awaited() {
    let ok = fake_fetch(
        200,
        r#"{"code":0,"tenant_access_token":"t-then","expire":100}"#,
    );
    let thenable = Function::new_with_args(
        "inner",
        "return (url, init) => ({ then: (resolve, reject) => inner(url, init).then(resolve, reject) });",
    )
    .call1(&JsValue::NULL, &ok)
    .unwrap()
    .unchecked_into::<Function>();
    let result = get_token(params(&thenable, &[])).await.unwrap();
    assert_eq!(get(&result, "access_token"), "t-then");
}

#[wasm_bindgen_test]
fn the_secret_search_folds_unicode_as_the_host_does() {
    let token = "t-0123456789abcdef";
    let forms = larkbase_get_token::redact::SecretForms::new(token);
    let split = |by: char| token.chars().flat_map(|c| [c, by]).collect::<String>();
    for hidden in [
        '\u{0}',
        '\u{1}',
        '\u{1F}',
        '\u{202A}',
        '\u{2066}',
        '\u{FE0F}',
        '\u{E0020}',
        '\u{3164}',
        '\u{301}',
        '\u{200B}',
        '\u{FEFF}',
    ] {
        assert!(
            forms.found_in(&split(hidden)),
            "split by U+{:04X}",
            hidden as u32
        );
    }
    let full_width: String = token
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    assert!(forms.found_in(&full_width), "in full width");
    assert!(forms.found_in(&token.to_uppercase()));
    assert!(!forms.found_in("t-0123456789abcdeX and Vietnamese: Nguyễn Văn A"));
}

/// The Larkbase Trigger's binding (in the Lark Base module): a plain `url_verification` challenge
/// with the right Verification Token is answered with it, the wrong token with 401, and nothing
/// larger than the body cap is taken. No Lark call is made for either.
#[wasm_bindgen_test]
async fn the_trigger_binding_answers_a_challenge() {
    use larkbase_get_token::events::wasm as events;
    assert_eq!(events::max_event_body_bytes(), f64::from(4u32 << 20));
    let tokens = Function::new_with_args("renew", "return Promise.reject(new Error('no call'))");
    let host = object(&[("tokens", tokens.into())]);
    let call = |token: &str| {
        let body =
            format!(r#"{{"challenge":"ch-wasm","token":"{token}","type":"url_verification"}}"#);
        let input = r#"{"verificationToken":"wasm-verification-token","scope":"wasm-test"}"#;
        events::larkbase_event(body.into_bytes(), input.to_owned(), host.clone())
    };
    let parse = |json: JsValue| js_sys::JSON::parse(&json.as_string().unwrap()).unwrap();
    let answered = parse(call("wasm-verification-token").await.unwrap());
    assert_eq!(get(&answered, "status").as_f64(), Some(200.0));
    assert_eq!(
        get(&get(&answered, "answer"), "challenge")
            .as_string()
            .as_deref(),
        Some("ch-wasm")
    );
    let refused = parse(call("wrong-token").await.unwrap());
    assert_eq!(get(&refused, "status").as_f64(), Some(401.0));
    assert_eq!(
        get(&refused, "kind").as_string().as_deref(),
        Some("refused")
    );
}
