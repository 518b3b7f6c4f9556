//! The JS face of the crate: reads params off a JS object, calls fetch, and turns the outcome into a
//! result object or a `LarkbaseTokenError`. Every decision is made by the plain-Rust modules.

use crate::error::{FetchFailure, TokenError};
use crate::params::{self, Input, Params, RawParams, MAX_INPUT_CHARS};
use crate::request::{self, TokenRequest, CONTENT_TYPE};
use crate::response::{self, Token, MAX_BODY_BYTES};
use js_sys::{Array, Function, JsString, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    // Node has no `window`, so the global fetch is bound directly (as gloo-net does), not through
    // web-sys's `Window::fetch`.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &Object) -> Result<Promise, JsValue>;

    type AbortSignal;
    // A timer-backed signal: it needs no setTimeout of ours and does not keep Node running.
    #[wasm_bindgen(catch, static_method_of = AbortSignal, js_name = timeout)]
    fn timeout(ms: u32) -> Result<AbortSignal, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn aborted(this: &AbortSignal) -> bool;
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_event_listener(this: &AbortSignal, kind: &str, listener: &Function);
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Which token to get: a tenant token (internal apps calling APIs as the app) or an app token. */
export type TokenType = 'tenant_access_token' | 'app_access_token';

/** What getToken needs from a response; the global fetch's Response has all of it. */
export interface FetchLikeResponse {
  status: number;
  redirected?: boolean;
  type?: string;
  headers?: { get(name: string): string | null };
  /** Read as a stream, so an oversized body is not buffered whole. */
  body?: ReadableStream<Uint8Array> | null;
  /** Used when there is no `body` stream. */
  text?(): Promise<string>;
}

/** A fetch-compatible function: called once per token request. */
export type FetchLike = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    redirect: 'manual';
    signal: AbortSignal;
  },
) => Promise<FetchLikeResponse>;

export interface TokenParams {
  /** The app's App ID, e.g. `cli_a1b2c3d4e5f6a7b8`. Surrounding white space is ignored. */
  appId: string;
  /** The app's App Secret. Never appears in results, errors or logs. */
  appSecret: string;
  /** Default `'tenant_access_token'`. */
  tokenType?: TokenType;
  /**
   * `'lark'` (default, https://open.larksuite.com), `'feishu'` (https://open.feishu.cn), or a base URL
   * for a private deployment or proxy. https only; http only for localhost, 127.0.0.0/8 and [::1].
   */
  domain?: 'lark' | 'feishu' | (string & {});
  /** Whole milliseconds from 1 to 300000 for the whole exchange, body included. Default 10000. */
  timeoutMs?: number;
  /** Used instead of the global fetch (proxies, tests, n8n's request helper). */
  fetch?: FetchLike;
}

export interface TokenResult {
  access_token: string;
  /** Remaining lifetime in seconds, as Lark's `expire` said. */
  expires_in: number;
  token_type: TokenType;
  /** The endpoint called, with the App ID masked (first 6 and last 4 characters). */
  request: { url: string };
  /** Lark's own `code` (0) and `msg`. */
  response: { code: number; msg: string };
}

export type LarkbaseTokenErrorCode =
  | 'INVALID_PARAMS'
  | 'AUTH_FAILED'
  | 'LARK_ERROR'
  | 'RATE_LIMITED'
  | 'HTTP_ERROR'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'BAD_RESPONSE';

/** What getToken rejects with. No property holds the App Secret. */
export interface LarkbaseTokenError extends Error {
  name: 'LarkbaseTokenError';
  code: LarkbaseTokenErrorCode;
  /** For INVALID_PARAMS: the params field at fault. */
  field?: string;
  /** Lark's `code`, when Lark answered with one. */
  larkCode?: number;
  /** Lark's `msg`, when Lark answered with one. */
  larkMsg?: string;
  httpStatus?: number;
  /** One line on what to do about it. */
  hint: string;
}
"#;

/// Gets an access token for a Lark / Feishu self-built app from the auth API.
///
/// Resolves to `{ access_token, expires_in, token_type, request: { url }, response: { code, msg } }`;
/// rejects with a `LarkbaseTokenError`. Never throws synchronously.
#[wasm_bindgen(js_name = getToken, unchecked_return_type = "TokenResult")]
pub async fn get_token(
    #[wasm_bindgen(unchecked_param_type = "TokenParams")] params: JsValue,
) -> Result<JsValue, JsValue> {
    fetch_token(&params).await.map_err(|e| to_js_error(&e))
}

async fn fetch_token(js_params: &JsValue) -> Result<JsValue, TokenError> {
    let params = params::validate(read_params(js_params)?)?;
    let fetch = read_fetch(js_params)?;
    let request = request::build(&params);
    let signal = AbortSignal::timeout(params.timeout_ms).map_err(|_| {
        TokenError::network(
            &params.base_url,
            "this runtime has no AbortSignal.timeout (Node.js 20 or later is needed)",
        )
    })?;
    let call = Call {
        params: &params,
        deadline: Promise::new(&mut |resolve, _| signal.add_event_listener("abort", &resolve)),
        signal,
    };
    let init = request_init(&request, &call.signal);
    let sent = match fetch {
        Some(fetch) => fetch.call2(&JsValue::UNDEFINED, &JsValue::from(&request.url), &init),
        None => global_fetch(&request.url, &init).map(JsValue::from),
    };
    let response = call.settle(sent.map_err(|e| call.failure(&e))?).await?;
    let token = call.read_token(&response).await?;
    Ok(to_js_result(&token, &request, &params))
}

/// One token request in flight, with the deadline every await is raced against: a custom fetch
/// may ignore the abort signal, and a body may drip slower than the timeout.
struct Call<'a> {
    params: &'a Params,
    signal: AbortSignal,
    deadline: Promise,
}

impl Call<'_> {
    async fn settle(&self, value: JsValue) -> Result<JsValue, TokenError> {
        let race = Promise::race(&Array::of2(&Promise::resolve(&value), &self.deadline));
        let outcome = JsFuture::from(race).await;
        if self.signal.aborted() {
            return Err(TokenError::timeout(self.params.timeout_ms));
        }
        outcome.map_err(|e| self.failure(&e))
    }

    fn failure(&self, error: &JsValue) -> TokenError {
        let text = |target: &JsValue, key| get(target, key).as_string();
        let cause = get(error, "cause");
        let failure = FetchFailure {
            name: text(error, "name"),
            code: text(error, "code"),
            cause_code: text(&cause, "code"),
            cause_message: text(&cause, "message"),
        };
        TokenError::fetch_failed(failure, self.params)
    }

    async fn read_token(&self, response: &JsValue) -> Result<Token, TokenError> {
        let status = get(response, "status")
            .as_f64()
            .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
            .map(|s| s as u16)
            .ok_or_else(|| TokenError::bad_response("the fetch result has no HTTP status", None))?;
        let redirected = get(response, "redirected").as_bool() == Some(true)
            || get(response, "type").as_string().as_deref() == Some("opaqueredirect");
        let body = get(response, "body");
        if let Err(e) = response::check_head(
            status,
            redirected,
            header(response, "content-length").as_deref(),
        ) {
            discard(&body);
            return Err(e);
        }
        let bytes = self.read_body(response, &body, status).await?;
        response::parse(
            status,
            &bytes,
            self.params.token_type,
            self.params.app_secret.expose(),
        )
    }

    /// Streams the body so that reading stops at `MAX_BODY_BYTES`, whatever Content-Length said.
    async fn read_body(
        &self,
        response: &JsValue,
        body: &JsValue,
        status: u16,
    ) -> Result<Vec<u8>, TokenError> {
        let unreadable = || TokenError::bad_response("the body cannot be read", Some(status));
        let Some(get_reader) = method(body, "getReader") else {
            let Some(text) = method(response, "text") else {
                return Ok(Vec::new());
            };
            let text = self
                .settle(text.call0(response).map_err(|_| unreadable())?)
                .await?;
            let text = text.as_string().ok_or_else(unreadable)?;
            if text.len() > MAX_BODY_BYTES {
                return Err(response::body_too_big(status));
            }
            return Ok(text.into_bytes());
        };
        let reader = get_reader.call0(body).map_err(|_| unreadable())?;
        let read = method(&reader, "read").ok_or_else(unreadable)?;
        let mut bytes = Vec::new();
        loop {
            let chunk = self
                .settle(read.call0(&reader).map_err(|_| unreadable())?)
                .await?;
            if get(&chunk, "done").as_bool() == Some(true) {
                return Ok(bytes);
            }
            let value = get(&chunk, "value")
                .dyn_into::<Uint8Array>()
                .map_err(|_| unreadable())?;
            let start = bytes.len();
            let end = start.saturating_add(value.length() as usize);
            if end > MAX_BODY_BYTES {
                discard(&reader);
                return Err(response::body_too_big(status));
            }
            bytes.resize(end, 0);
            if let Some(room) = bytes.get_mut(start..end) {
                value.copy_to(room);
            }
        }
    }
}

fn read_params(js: &JsValue) -> Result<RawParams, TokenError> {
    if !js.is_object() {
        return Err(TokenError::invalid(
            "params",
            "must be an object such as { appId, appSecret }",
        ));
    }
    Ok(RawParams {
        app_id: Some(read_input(js, "appId")?),
        app_secret: Some(read_input(js, "appSecret")?),
        token_type: Some(read_input(js, "tokenType")?),
        domain: Some(read_input(js, "domain")?),
        timeout_ms: Some(read_input(js, "timeoutMs")?),
    })
}

fn read_input(js: &JsValue, field: &'static str) -> Result<Input, TokenError> {
    let value = read_field(js, field)?;
    Ok(if value.is_undefined() || value.is_null() {
        Input::Missing
    } else if let Some(text) = value.dyn_ref::<JsString>() {
        if text.length() as usize > MAX_INPUT_CHARS {
            Input::LongText
        } else {
            Input::Text(String::from(text))
        }
    } else if let Some(number) = value.as_f64() {
        Input::Number(number)
    } else {
        Input::Other(type_name(&value))
    })
}

/// Getters and proxies can throw; that is bad input, not a crash.
fn read_field(js: &JsValue, field: &'static str) -> Result<JsValue, TokenError> {
    Reflect::get(js, &JsValue::from_str(field))
        .map_err(|_| TokenError::invalid(field, "could not be read"))
}

fn read_fetch(js: &JsValue) -> Result<Option<Function>, TokenError> {
    let value = read_field(js, "fetch")?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| TokenError::invalid("fetch", "must be a function"))
}

fn type_name(value: &JsValue) -> &'static str {
    match value.js_typeof().as_string().as_deref() {
        Some("boolean") => "boolean",
        Some("bigint") => "bigint",
        Some("symbol") => "symbol",
        Some("function") => "function",
        _ if Array::is_array(value) => "array",
        _ => "object",
    }
}

fn request_init(request: &TokenRequest, signal: &AbortSignal) -> Object {
    let headers = Object::new();
    set(&headers, "Content-Type", &JsValue::from_str(CONTENT_TYPE));
    let init = Object::new();
    set(&init, "method", &JsValue::from_str("POST"));
    set(&init, "headers", &headers);
    set(&init, "body", &JsValue::from_str(&request.body));
    // Following a redirect would re-send the secret to wherever it points.
    set(&init, "redirect", &JsValue::from_str("manual"));
    set(&init, "signal", signal);
    init
}

fn to_js_result(token: &Token, request: &TokenRequest, params: &Params) -> JsValue {
    let url = Object::new();
    set(&url, "url", &JsValue::from_str(&request.display_url));
    let lark = Object::new();
    set(&lark, "code", &JsValue::from_f64(token.code as f64));
    set(&lark, "msg", &JsValue::from_str(&token.msg));
    let result = Object::new();
    set(
        &result,
        "access_token",
        &JsValue::from_str(&token.access_token),
    );
    set(&result, "expires_in", &JsValue::from(token.expires_in));
    set(
        &result,
        "token_type",
        &JsValue::from_str(params.token_type.as_str()),
    );
    set(&result, "request", &url);
    set(&result, "response", &lark);
    result.into()
}

/// The one place a `TokenError` becomes a JS `Error`.
fn to_js_error(e: &TokenError) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    error.set_name("LarkbaseTokenError");
    set(&error, "code", &JsValue::from_str(e.code.as_str()));
    if let Some(field) = e.field {
        set(&error, "field", &JsValue::from_str(field));
    }
    if let Some(code) = e.lark_code {
        set(&error, "larkCode", &JsValue::from_f64(code as f64));
    }
    if let Some(msg) = &e.lark_msg {
        set(&error, "larkMsg", &JsValue::from_str(msg));
    }
    if let Some(status) = e.http_status {
        set(&error, "httpStatus", &JsValue::from(status));
    }
    set(&error, "hint", &JsValue::from_str(e.hint));
    error.into()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Only fails on frozen or proxied objects, and these are all fresh plain objects.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn method(target: &JsValue, key: &str) -> Option<Function> {
    get(target, key).dyn_into::<Function>().ok()
}

fn header(response: &JsValue, name: &str) -> Option<String> {
    let headers = get(response, "headers");
    method(&headers, "get")?
        .call1(&headers, &JsValue::from_str(name))
        .ok()?
        .as_string()
}

/// Cancels a body stream or reader we stop reading, so its connection is freed; the promise
/// `cancel` returns is awaited in the background so that its rejection is never unhandled.
fn discard(stream: &JsValue) {
    let Some(cancel) = method(stream, "cancel") else {
        return;
    };
    if let Ok(pending) = cancel.call0(stream) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(Promise::resolve(&pending)).await;
        });
    }
}
