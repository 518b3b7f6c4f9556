//! The JS face of the crate: reads params off a JS object, calls fetch, and turns the outcome into a
//! result object or a `LarkbaseTokenError`. Every decision is made by the plain-Rust modules.

use crate::error::{FetchFailure, TokenError};
use crate::flow::{self, HttpAnswer, Outcome, Platform, TokenState};
use crate::params::{self, Input, Params, RawParams, MAX_INPUT_CHARS};
use crate::request::{TokenRequest, CONTENT_TYPE};
use crate::response::{self, MAX_BODY_BYTES};
use js_sys::{Array, Function, JsString, Object, Promise, Reflect, Uint8Array};
use std::rc::Rc;
use wasm_bindgen::intern;
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
    #[wasm_bindgen(method, js_name = removeEventListener)]
    fn remove_event_listener(this: &AbortSignal, kind: &str, listener: &Function);

    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &JsValue, value: &JsValue) -> bool;

    type MessageChannel;
    #[wasm_bindgen(catch, constructor)]
    fn new() -> Result<MessageChannel, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn port1(this: &MessageChannel) -> MessagePort;

    type MessagePort;
    #[wasm_bindgen(method, setter)]
    fn set_onmessage(this: &MessagePort, listener: &Function);
    #[wasm_bindgen(method)]
    fn close(this: &MessagePort);
}

/// Keeps Node's event loop running while a request or a retry wait is under way. Our timers are
/// `AbortSignal.timeout`s, which do not (and n8n's scanner rules out setTimeout), so without this a
/// script whose only work is a getToken call would exit mid-wait and lose the result. A message
/// port with a listener holds the loop open like a socket does, until it is closed on drop.
struct KeepAlive {
    port: Option<MessagePort>,
    _listener: Closure<dyn FnMut()>,
}

impl KeepAlive {
    fn new() -> Self {
        let listener = Closure::<dyn FnMut()>::new(|| {});
        let port = MessageChannel::new().ok().map(|channel| channel.port1());
        if let Some(port) = &port {
            port.set_onmessage(listener.as_ref().unchecked_ref());
        }
        Self {
            port,
            _listener: listener,
        }
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        if let Some(port) = &self.port {
            port.close();
        }
    }
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
  /**
   * Store (marketplace) apps: the latest app_ticket Lark pushed. With `tokenType: 'app_access_token'`
   * it gets the store app token; with `tenantKey` too, a tenant token.
   */
  appTicket?: string;
  /** Store apps: the tenant that installed the app, for its tenant token. */
  tenantKey?: string;
  /** Default true: a cached token answers while it has more than 5 minutes left. `false` asks Lark. */
  cache?: boolean;
  /** Tries for network errors, timeouts, 5xx and rate limits, 1 to 10. Default 3. */
  maxAttempts?: number;
  /** Whole milliseconds, 1 to 600000, for all attempts and the waits between them. Default 30000. */
  deadlineMs?: number;
}

/** What resendAppTicket resolves to: Lark's acknowledgement. */
export interface ResendResult {
  request: { url: string };
  response: { code: number; msg: string };
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
  /** How many requests were made before giving up. */
  attempts: number;
}
"#;

thread_local! {
    // The cache and the calls in flight, for the life of the instance.
    static STATE: Rc<TokenState> = Rc::default();
}

/// Gets an access token for a Lark / Feishu app from the auth API, from the cache when it can.
///
/// Resolves to `{ access_token, expires_in, token_type, request: { url }, response: { code, msg } }`;
/// rejects with a `LarkbaseTokenError`. Never throws synchronously.
#[wasm_bindgen(js_name = getToken, unchecked_return_type = "TokenResult")]
pub async fn get_token(
    #[wasm_bindgen(unchecked_param_type = "TokenParams")] params: JsValue,
) -> Result<JsValue, JsValue> {
    token_result(&params).await.map_err(|e| to_js_error(&e))
}

/// Empties the token cache of this instance.
#[wasm_bindgen(js_name = clearTokenCache)]
pub fn clear_token_cache() {
    STATE.with(|state| state.cache.borrow_mut().clear());
}

/// Bytes of this instance's WebAssembly memory: a diagnostic for checking that it stays bounded.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
        .into()
}

/// Asks Lark to push a store app's app_ticket again (it arrives as an `app_ticket` event).
///
/// Takes `{ appId, appSecret, domain?, timeoutMs?, maxAttempts?, deadlineMs?, fetch? }`.
#[wasm_bindgen(js_name = resendAppTicket, unchecked_return_type = "ResendResult")]
pub async fn resend_app_ticket(
    #[wasm_bindgen(unchecked_param_type = "TokenParams")] params: JsValue,
) -> Result<JsValue, JsValue> {
    resend_result(&params).await.map_err(|e| to_js_error(&e))
}

async fn token_result(js_params: &JsValue) -> Result<JsValue, TokenError> {
    let params = params::validate(read_params(js_params)?)?;
    let platform = JsPlatform {
        params: &params,
        fetch: read_fetch(js_params)?,
    };
    let state = STATE.with(Rc::clone);
    let outcome = flow::get_token(&platform, &state, &params).await?;
    Ok(to_js_result(&outcome, &params))
}

async fn resend_result(js_params: &JsValue) -> Result<JsValue, TokenError> {
    let params = params::validate(read_params(js_params)?)?;
    let platform = JsPlatform {
        params: &params,
        fetch: read_fetch(js_params)?,
    };
    let (code, msg, display_url) = flow::resend_app_ticket(&platform, &params).await?;
    let result = Object::new();
    set(
        &result,
        "request",
        &object_with(&[("url", JsValue::from_str(&display_url))]),
    );
    set(
        &result,
        "response",
        &object_with(&[
            ("code", JsValue::from_f64(code as f64)),
            ("msg", JsValue::from_str(&msg)),
        ]),
    );
    Ok(result.into())
}

/// fetch, JS time and randomness, for the plain-Rust flow.
struct JsPlatform<'a> {
    params: &'a Params,
    fetch: Option<Function>,
}

impl Platform for JsPlatform<'_> {
    async fn send(
        &self,
        request: &TokenRequest,
        timeout_ms: u32,
    ) -> Result<HttpAnswer, TokenError> {
        // The global fetch's socket holds the event loop open by itself; a custom fetch may not.
        let _alive = self.fetch.as_ref().map(|_| KeepAlive::new());
        let signal = timer_signal(timeout_ms, &self.params.base_url)?;
        let mut on_abort = JsValue::UNDEFINED.unchecked_into::<Function>();
        let deadline = Promise::new(&mut |resolve, _| {
            signal.add_event_listener("abort", &resolve);
            on_abort = resolve;
        });
        let call = Call {
            params: self.params,
            timeout_ms,
            signal,
            deadline,
            on_abort,
        };
        let init = request_init(request, &call.signal);
        let sent = match &self.fetch {
            Some(fetch) => fetch.call2(&JsValue::UNDEFINED, &JsValue::from(&request.url), &init),
            None => global_fetch(&request.url, &init).map(JsValue::from),
        };
        let response = call.settle(sent.map_err(|e| call.failure(&e))?).await?;
        call.read_answer(&response).await
    }

    async fn sleep(&self, ms: u32) {
        let _alive = KeepAlive::new();
        if let Ok(signal) = timer_signal(ms, &self.params.base_url) {
            let done = Promise::new(&mut |resolve, _| signal.add_event_listener("abort", &resolve));
            let _ = JsFuture::from(done).await;
        }
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}

/// A signal that aborts after `ms`: our only timer, since n8n's scanner rules out setTimeout.
fn timer_signal(ms: u32, base_url: &str) -> Result<AbortSignal, TokenError> {
    AbortSignal::timeout(ms).map_err(|_| {
        TokenError::network(
            base_url,
            "this runtime has no AbortSignal.timeout (Node.js 20 or later is needed)",
        )
    })
}

/// One request in flight, with the deadline every await is raced against: a custom fetch may
/// ignore the abort signal, and a body may drip slower than the timeout.
struct Call<'a> {
    params: &'a Params,
    timeout_ms: u32,
    signal: AbortSignal,
    deadline: Promise,
    /// The deadline's listener on the signal.
    on_abort: Function,
}

// Node keeps a timeout signal that has listeners alive until it fires, and with it the deadline
// and everything raced against it, the response included: a finished call lets go of it.
impl Drop for Call<'_> {
    fn drop(&mut self) {
        self.signal.remove_event_listener("abort", &self.on_abort);
    }
}

impl Call<'_> {
    async fn settle(&self, value: JsValue) -> Result<JsValue, TokenError> {
        let race = Promise::race(&Array::of2(&Promise::resolve(&value), &self.deadline));
        let outcome = JsFuture::from(race).await;
        if self.signal.aborted() {
            return Err(TokenError::timeout(self.timeout_ms));
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
        TokenError::fetch_failed(failure, self.params, self.timeout_ms)
    }

    async fn read_answer(&self, response: &JsValue) -> Result<HttpAnswer, TokenError> {
        let status = get(response, "status")
            .as_f64()
            .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
            .map(|s| s as u16)
            .ok_or_else(|| TokenError::bad_response("the fetch result has no HTTP status", None))?;
        let redirected = get(response, "redirected").as_bool() == Some(true)
            || get(response, "type").as_string().as_deref() == Some("opaqueredirect");
        let body = get(response, "body");
        let content_length = header(response, "content-length");
        if let Err(e) = response::check_head(status, redirected, content_length.as_deref()) {
            discard(&body);
            return Err(e);
        }
        // A declared length (checked against the cap above) lets the body come in one await;
        // otherwise it is streamed, so that reading stops at the cap.
        let bytes = match (content_length, method(response, "arrayBuffer")) {
            (Some(_), Some(array_buffer)) => {
                let buffer = array_buffer.call0(response).map_err(|_| {
                    TokenError::bad_response("the body cannot be read", Some(status))
                })?;
                let buffer = self.settle(buffer).await?;
                let bytes = Uint8Array::new(&buffer).to_vec();
                if bytes.len() > MAX_BODY_BYTES {
                    return Err(response::body_too_big(status));
                }
                bytes
            }
            _ => self.read_body(response, &body, status).await?,
        };
        Ok(HttpAnswer {
            status,
            body: bytes,
            retry_after: header(response, "retry-after"),
        })
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
        app_ticket: Some(read_input(js, "appTicket")?),
        tenant_key: Some(read_input(js, "tenantKey")?),
        cache: Some(read_input(js, "cache")?),
        max_attempts: Some(read_input(js, "maxAttempts")?),
        deadline_ms: Some(read_input(js, "deadlineMs")?),
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
    } else if let Some(flag) = value.as_bool() {
        Input::Bool(flag)
    } else {
        Input::Other(type_name(&value))
    })
}

/// Getters and proxies can throw; that is bad input, not a crash.
fn read_field(js: &JsValue, field: &'static str) -> Result<JsValue, TokenError> {
    Reflect::get(js, &property(field)).map_err(|_| TokenError::invalid(field, "could not be read"))
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

fn to_js_result(outcome: &Outcome, params: &Params) -> JsValue {
    let result = Object::new();
    set(
        &result,
        "access_token",
        &JsValue::from_str(&outcome.access_token),
    );
    set(&result, "expires_in", &JsValue::from(outcome.expires_in));
    set(
        &result,
        "token_type",
        &JsValue::from_str(params.token_type.as_str()),
    );
    set(
        &result,
        "request",
        &object_with(&[("url", JsValue::from_str(&outcome.display_url))]),
    );
    set(
        &result,
        "response",
        &object_with(&[
            ("code", JsValue::from_f64(0.0)),
            ("msg", JsValue::from_str(&outcome.msg)),
        ]),
    );
    result.into()
}

fn object_with(fields: &[(&'static str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in fields {
        set(&object, key, value);
    }
    object
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
    set(&error, "attempts", &JsValue::from(e.attempts));
    error.into()
}

/// Property names are interned: decoding each one from wasm memory on every call was most of
/// the cost of a cached getToken.
fn property(name: &'static str) -> JsValue {
    JsValue::from_str(intern(name))
}

fn get(target: &JsValue, key: &'static str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &property(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets a property of an object made here: these are fresh plain objects, so the set cannot
/// throw, and the call skips the exception handling a `catch` binding costs.
fn set(target: &JsValue, key: &'static str, value: &JsValue) {
    reflect_set(target, &property(key), value);
}

fn method(target: &JsValue, key: &'static str) -> Option<Function> {
    get(target, key).dyn_into::<Function>().ok()
}

fn header(response: &JsValue, name: &'static str) -> Option<String> {
    let headers = get(response, "headers");
    method(&headers, "get")?
        .call1(&headers, &property(name))
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
