//! The JS face of the crate: moves params, results and errors across with serde-wasm-bindgen, calls
//! fetch, reads the answer, and tells time. Every decision is made by the plain-Rust modules.
//!
//! Whatever a caller or a custom fetch hands in is hostile until checked: getters and proxy traps
//! can throw, promises can have throwing `then`s, chunks can lie about their length. So every call
//! into JS that could throw goes through a `catch` binding (`Reflect`, `Function::call*`, the
//! `Result`-returning web-sys methods), and foreign values are only awaited after being adopted by
//! a promise of our own. The params arrive as the JS entry's snapshot (plain values only).

use crate::cache::Map;
use crate::error::{FetchFailure, TokenError};
use crate::flow::{self, HttpAnswer, Outcome, Platform, TokenState};
use crate::params::{self, Params, RawParams};
use crate::request::{Request, CONTENT_TYPE};
use crate::response::{self, Malformed};
use js_sys::{Array, Function, JsString, Object, Promise, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Blob, DomException, TextDecodeOptions, TextDecoder};

#[wasm_bindgen]
extern "C" {
    // Node has no `window`, so the global fetch is bound directly (as gloo-net does), not through
    // web-sys's `Window::fetch`.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &Object) -> Result<JsValue, JsValue>;
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
  /** Read as a stream, so that reading stops at 1 MiB of decoded bytes. */
  body?: { getReader(): { read(): PromiseLike<{ done?: boolean; value?: Uint8Array }>; cancel?(): unknown } } | null;
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
) => FetchLikeResponse | PromiseLike<FetchLikeResponse>;

export interface TokenParams {
  /** The app's App ID, e.g. `cli_a1b2c3d4e5f6a7b8`. Surrounding white space is ignored. */
  appId: string;
  /** The app's App Secret, 16 to 256 characters (Lark's have 32). Never appears in results, errors or logs. */
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
  | 'BAD_RESPONSE'
  | 'INTERNAL_ERROR';

/** What getToken rejects with. No property holds the App Secret. */
export interface LarkbaseTokenError extends Error {
  name: 'LarkbaseTokenError';
  code: LarkbaseTokenErrorCode;
  /** For INVALID_PARAMS: the params field at fault. */
  field?: string;
  /** Lark's `code`, when Lark answered with one. */
  larkCode?: number;
  /** Lark's `msg` (at most 1000 characters), when Lark answered with one. */
  larkMsg?: string;
  httpStatus?: number;
  /** One line on what to do about it. */
  hint: string;
  /** How many requests were made before giving up. */
  attempts: number;
}

/** A token as the module hands it to the JS entry: `[access_token, expires_in, token_type, url, msg]`. */
export type TokenTuple = [string, number, TokenType, string, string];
/** A resend acknowledgement as the module hands it over: `[code, msg, url]`. */
export type ResendTuple = [number, string, string];
"#;

/// A cache hit as JS last saw it: the tuple handed out, and what it was made of.
struct SeenHit {
    display_url: String,
    msg: String,
    token_type: &'static str,
    tuple: Array,
}

thread_local! {
    // The cache and the calls in flight, for the life of the instance.
    static STATE: Rc<TokenState> = Rc::default();
    // The tuples of recent cache hits by token, so that a hit does not turn the same strings into
    // JS strings again: that was a sixth of a cached call.
    static SEEN_HITS: RefCell<Map<String, SeenHit>> = RefCell::default();
    // %TypedArray%.prototype's own byteLength getter: it reads the chunk's real length, which an
    // own `length` or `byteLength` property cannot fake.
    static BYTE_LENGTH: Option<Function> = typed_array_byte_length();
    // The pending timers, for the life of the instance.
    static DEADLINES: RefCell<Deadlines> = RefCell::default();
}

/// A token straight from the cache, or `undefined`: no request, no promise. The JS entry tries
/// this first; anything but a hit (bad params included) goes on to `getToken`.
#[wasm_bindgen(js_name = cachedToken, unchecked_return_type = "TokenTuple | undefined")]
pub fn cached_token(params: JsValue) -> JsValue {
    let Ok(params) = read_params(params) else {
        return JsValue::UNDEFINED;
    };
    let hit = STATE.with(|state| flow::cached_token(state, &params, js_sys::Date::now()));
    hit.map_or(JsValue::UNDEFINED, |outcome| hit_tuple(outcome, &params))
}

/// The tuple for a cache hit, reusing the one made for the same token last time with only its
/// `expires_in` brought up to date. Only the synchronous entry hands these out: its caller reads
/// the tuple at once, before another hit can change it.
fn hit_tuple(outcome: Outcome, params: &Params) -> JsValue {
    const MAX_SEEN: usize = 1000;
    let token_type = params.token_type.as_str();
    SEEN_HITS.with_borrow_mut(|seen| {
        if let Some(hit) = seen.get(&outcome.access_token) {
            let same = hit.display_url == outcome.display_url
                && hit.msg == outcome.msg
                && hit.token_type == token_type;
            if same {
                hit.tuple.set(1, JsValue::from(outcome.expires_in));
                return hit.tuple.clone().into();
            }
        }
        let Ok(tuple) = token_tuple(&outcome, params).dyn_into::<Array>() else {
            return JsValue::UNDEFINED;
        };
        if seen.len() >= MAX_SEEN {
            seen.clear();
        }
        let hit = SeenHit {
            display_url: outcome.display_url,
            msg: outcome.msg,
            token_type,
            tuple: tuple.clone(),
        };
        seen.insert(outcome.access_token, hit);
        tuple.into()
    })
}

/// Gets an access token for a Lark / Feishu app from the auth API, from the cache when it can.
/// `params` is the JS entry's snapshot; `fetch` the caller's fetch, if any.
#[wasm_bindgen(js_name = getToken, unchecked_return_type = "TokenTuple")]
pub async fn get_token(params: JsValue, fetch: JsValue) -> Result<JsValue, JsValue> {
    token_result(params, fetch)
        .await
        .map_err(|e| to_js_error(&e))
}

/// Asks Lark to push a store app's app_ticket again (it arrives as an `app_ticket` event).
#[wasm_bindgen(js_name = resendAppTicket, unchecked_return_type = "ResendTuple")]
pub async fn resend_app_ticket(params: JsValue, fetch: JsValue) -> Result<JsValue, JsValue> {
    resend_result(params, fetch)
        .await
        .map_err(|e| to_js_error(&e))
}

/// Empties the token cache of this instance.
#[wasm_bindgen(js_name = clearTokenCache)]
pub fn clear_token_cache() {
    STATE.with(|state| state.cache.borrow_mut().clear());
    SEEN_HITS.with_borrow_mut(|seen| seen.clear());
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

/// Traps this instance on purpose, at once or in the module's next microtask (where its async
/// work runs). Nothing calls it but the tests of the JS entry's recovery from a broken instance,
/// which a real trap is the only honest way to check.
#[wasm_bindgen(js_name = abortForTests)]
pub fn abort_for_tests(in_microtask: bool) {
    if in_microtask {
        wasm_bindgen_futures::spawn_local(async { std::process::abort() });
    } else {
        std::process::abort();
    }
}

async fn token_result(params: JsValue, fetch: JsValue) -> Result<JsValue, TokenError> {
    let params = read_params(params)?;
    let platform = JsPlatform {
        base_url: &params.base_url,
        fetch: read_fetch(fetch)?,
    };
    let state = STATE.with(Rc::clone);
    let outcome = flow::get_token(&platform, &state, &params).await?;
    Ok(token_tuple(&outcome, &params))
}

async fn resend_result(params: JsValue, fetch: JsValue) -> Result<JsValue, TokenError> {
    let params = read_params(params)?;
    let platform = JsPlatform {
        base_url: &params.base_url,
        fetch: read_fetch(fetch)?,
    };
    let ack = flow::resend_app_ticket(&platform, &params).await?;
    to_js(&ack)
}

pub(crate) fn read_params(snapshot: JsValue) -> Result<Params, TokenError> {
    let raw: RawParams = serde_wasm_bindgen::from_value(snapshot).map_err(|_| {
        TokenError::invalid("params", "must be an object such as { appId, appSecret }")
    })?;
    params::validate(raw)
}

pub(crate) fn read_fetch(value: JsValue) -> Result<Option<Function>, TokenError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| TokenError::invalid("fetch", "must be a function"))
}

fn token_tuple(outcome: &Outcome, params: &Params) -> JsValue {
    let tuple = (
        &outcome.access_token,
        outcome.expires_in,
        params.token_type.as_str(),
        &outcome.display_url,
        &outcome.msg,
    );
    to_js(&tuple).unwrap_or(JsValue::UNDEFINED)
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, TokenError> {
    serde_wasm_bindgen::to_value(value).map_err(|_| TokenError::internal())
}

/// The one place a `TokenError` becomes a JS `Error`: its serialized fields on an `Error` named
/// `LarkbaseTokenError`.
fn to_js_error(e: &TokenError) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    error.set_name("LarkbaseTokenError");
    if let Ok(fields) = serde_wasm_bindgen::to_value(e) {
        if let Some(fields) = fields.dyn_ref::<Object>() {
            Object::assign(&error, fields);
        }
    }
    error.into()
}

/// fetch, JS time and randomness, for the plain-Rust flows (the token's and Lark Base's).
pub(crate) struct JsPlatform<'a> {
    /// Where requests go, for the messages of failed ones.
    pub(crate) base_url: &'a str,
    pub(crate) fetch: Option<Function>,
}

/// The cache and the calls in flight, which the Lark Base calls share with getToken.
pub(crate) fn token_state() -> Rc<TokenState> {
    STATE.with(Rc::clone)
}

impl Platform for JsPlatform<'_> {
    type Body = String;

    async fn send<B: Serialize>(
        &self,
        request: &Request<B>,
        timeout_ms: u32,
    ) -> Result<HttpAnswer<String>, TokenError> {
        // Only the body depends on its type; the rest is compiled once. Maps become plain objects
        // (not JS `Map`s, which JSON.stringify would write as `{}`): Lark Base's cells are maps.
        let body = match &request.body {
            Some(body) => js_sys::JSON::stringify(
                &body
                    .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                    .map_err(|_| TokenError::internal())?,
            )
            .map(JsValue::from)
            .map_err(|_| TokenError::internal())?,
            None => JsValue::UNDEFINED,
        };
        self.send_json(
            request.method,
            &request.url,
            request.bearer.as_deref(),
            &body,
            request.max_body_bytes,
            timeout_ms,
        )
        .await
    }

    fn decode<T: DeserializeOwned>(&self, body: &String) -> Result<T, Malformed> {
        let value = js_sys::JSON::parse(body).map_err(|_| Malformed::NotJson)?;
        serde_wasm_bindgen::from_value(value).map_err(|_| Malformed::WrongShape)
    }

    async fn sleep(&self, ms: u32) {
        // The JS entry keeps Node running while a call is pending, retry waits included.
        if let Ok(timer) = Timer::start(ms) {
            let _ = JsFuture::from(timer.fired.clone()).await;
        }
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}

impl JsPlatform<'_> {
    async fn send_json(
        &self,
        method: &str,
        url: &str,
        bearer: Option<&str>,
        body: &JsValue,
        max_body_bytes: usize,
        timeout_ms: u32,
    ) -> Result<HttpAnswer<String>, TokenError> {
        let call = Call::start(self.base_url, timeout_ms)?;
        let init = request_init(method, bearer, body, &call.timer.signal)?;
        let sent = match &self.fetch {
            Some(fetch) => fetch.call2(&JsValue::UNDEFINED, &JsValue::from(url), &init),
            None => global_fetch(url, &init),
        };
        let response = call.settle(sent.map_err(|e| call.failure(&e))?).await?;
        call.read_answer(&response, max_body_bytes).await
    }
}

/// A promise that resolves `ms` after it starts, and a signal for fetch that aborts then: our only
/// timer, since n8n's package scanner rules out setTimeout. All of an instance's timers share one
/// `AbortSignal.timeout` at a time (see `Deadlines`); a timer of its own holds only JS objects
/// that the garbage collector takes with its call.
struct Timer {
    id: u64,
    /// What fetch is handed: aborted with a `TimeoutError` when the timer is due.
    signal: AbortSignal,
    fired: Promise,
    /// `Date.now()` at which the timer is due, for loops that never let a timer run.
    due: f64,
}

impl Timer {
    fn start(ms: u32) -> Result<Self, TokenError> {
        let controller = AbortController::new().map_err(|_| TokenError::internal())?;
        let mut resolve = None;
        let fired = Promise::new(&mut |r, _| resolve = Some(r));
        let resolve = resolve.ok_or_else(TokenError::internal)?;
        let due = js_sys::Date::now() + f64::from(ms);
        let signal = controller.signal();
        let id = DEADLINES.with_borrow_mut(|deadlines| {
            deadlines.next_id += 1;
            let waiter = Waiter {
                id: deadlines.next_id,
                due,
                resolve,
                controller,
            };
            deadlines.waiting.push(waiter);
            deadlines.next_id
        });
        // Made before arming, so that its drop takes the waiter out again if arming fails.
        let timer = Self {
            id,
            signal,
            fired,
            due,
        };
        Deadlines::arm(due)?;
        Ok(timer)
    }

    fn is_due(&self) -> bool {
        self.signal.aborted() || js_sys::Date::now() >= self.due
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        DEADLINES.with_borrow_mut(|deadlines| {
            if let Some(at) = deadlines.waiting.iter().position(|w| w.id == self.id) {
                deadlines.waiting.swap_remove(at);
            }
        });
    }
}

/// A pending timer as `Deadlines` keeps it.
struct Waiter {
    id: u64,
    due: f64,
    resolve: Function,
    controller: AbortController,
}

/// The pending timers of this instance, driven by one `AbortSignal.timeout` at a time, armed for
/// the earliest of them. One signal per timer, as before, cost about 2 KB of JS heap each that
/// could not be collected until the signal fired (10 s by default), and V8 kept the heap it had
/// grown to: 100,000 quick calls through a custom fetch grew RSS by about 250 MB. A finished timer
/// leaves nothing behind here, and the armed signal does not keep Node running.
#[derive(Default)]
struct Deadlines {
    waiting: Vec<Waiter>,
    next_id: u64,
    /// The due times the armed signals fire at: one, or a few while an earlier timer than the
    /// armed one was started (a retry wait, a shorter timeout).
    armed: Vec<f64>,
}

impl Deadlines {
    /// Arms a signal for `due` unless one fires by then already.
    fn arm(due: f64) -> Result<(), TokenError> {
        if DEADLINES.with_borrow(|deadlines| deadlines.armed.iter().any(|&armed| armed <= due)) {
            return Ok(());
        }
        // Whole milliseconds, rounded up: a timer never fires before it is due.
        let ms = (due - js_sys::Date::now())
            .ceil()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        let signal = AbortSignal::timeout_with_u32(ms);
        let mut resolve = None;
        let fired = Promise::new(&mut |r, _| resolve = Some(r));
        let resolve = resolve.ok_or_else(TokenError::internal)?;
        signal
            .add_event_listener_with_callback("abort", &resolve)
            .map_err(|_| TokenError::internal())?;
        DEADLINES.with_borrow_mut(|deadlines| deadlines.armed.push(due));
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(fired).await;
            drop(signal);
            Deadlines::fire(due);
        });
        Ok(())
    }

    /// Settles the timers that are due when the signal armed for `armed` fires, and arms the next.
    fn fire(armed: f64) {
        let now = js_sys::Date::now();
        let (due, next) = DEADLINES.with_borrow_mut(|deadlines| {
            if let Some(at) = deadlines.armed.iter().position(|&a| a == armed) {
                deadlines.armed.swap_remove(at);
            }
            let (due, waiting) = std::mem::take(&mut deadlines.waiting)
                .into_iter()
                .partition(|waiter| waiter.due <= now);
            deadlines.waiting = waiting;
            let next = deadlines.waiting.iter().map(|w| w.due).reduce(f64::min);
            (due, next)
        });
        // The borrow is over: aborting runs the fetch's listeners, which may start a call.
        for waiter in &due {
            waiter.expire();
        }
        if let Some(next) = next {
            if Deadlines::arm(next).is_err() {
                // Without a signal nothing would ever settle them: they time out now instead.
                let all =
                    DEADLINES.with_borrow_mut(|deadlines| std::mem::take(&mut deadlines.waiting));
                for waiter in &all {
                    waiter.expire();
                }
            }
        }
    }
}

impl Waiter {
    fn expire(&self) {
        let reason = DomException::new_with_message_and_name(
            "The operation was aborted due to timeout",
            "TimeoutError",
        )
        .map_or(JsValue::UNDEFINED, JsValue::from);
        // Cannot throw: an abort listener that throws is reported, not rethrown to us.
        self.controller.abort_with_reason(&reason);
        let _ = self.resolve.call0(&JsValue::UNDEFINED);
    }
}

/// One request in flight, with the timer every await is raced against: a custom fetch may ignore
/// the abort signal, and a body may drip slower than the timeout.
struct Call<'a> {
    base_url: &'a str,
    timeout_ms: u32,
    timer: Timer,
}

impl<'a> Call<'a> {
    fn start(base_url: &'a str, timeout_ms: u32) -> Result<Self, TokenError> {
        let timer = Timer::start(timeout_ms)?;
        Ok(Self {
            base_url,
            timeout_ms,
            timer,
        })
    }

    fn timed_out(&self) -> bool {
        self.timer.is_due()
    }

    /// Awaits a foreign value (a promise, a thenable, anything) or the timeout, whichever comes first.
    async fn settle(&self, value: JsValue) -> Result<JsValue, TokenError> {
        let race = Promise::race(&Array::of2(&adopt(&value), &self.timer.fired));
        let outcome = JsFuture::from(race).await;
        if self.timed_out() {
            return Err(TokenError::timeout(self.timeout_ms));
        }
        outcome.map_err(|e| self.failure(&e))
    }

    fn failure(&self, error: &JsValue) -> TokenError {
        let text = |target: &JsValue, key| short_text(&get(target, key), 64);
        let cause = get(error, "cause");
        let failure = FetchFailure {
            name: text(error, "name"),
            code: text(error, "code"),
            cause_code: text(&cause, "code"),
        };
        TokenError::fetch_failed(failure, self.base_url, self.timeout_ms)
    }

    async fn read_answer(
        &self,
        response: &JsValue,
        max_body_bytes: usize,
    ) -> Result<HttpAnswer<String>, TokenError> {
        let status = get(response, "status")
            .as_f64()
            .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
            .map(|s| s as u16)
            .ok_or_else(|| TokenError::bad_response("the fetch result has no HTTP status", None))?;
        let redirected = get(response, "redirected").as_bool() == Some(true)
            || short_text(&get(response, "type"), 16).as_deref() == Some("opaqueredirect");
        let body = get(response, "body");
        let content_length = header(response, "content-length");
        let head = response::check_head(
            status,
            redirected,
            content_length.as_deref(),
            max_body_bytes,
        );
        if let Err(e) = head {
            cancel(&body);
            return Err(e);
        }
        let text = match method(&body, "getReader") {
            Some(get_reader) => {
                self.read_stream(&body, &get_reader, status, max_body_bytes)
                    .await?
            }
            None => self.read_text(response, status, max_body_bytes).await?,
        };
        Ok(HttpAnswer {
            status,
            body: text,
            retry_after: header(response, "retry-after"),
        })
    }

    /// Reads a body stream, counting the decoded bytes as they come: reading stops at the cap,
    /// whatever Content-Length or Content-Encoding said, and no chunk past it is copied in.
    async fn read_stream(
        &self,
        body: &JsValue,
        get_reader: &Function,
        status: u16,
        max_body_bytes: usize,
    ) -> Result<String, TokenError> {
        let unreadable = || TokenError::bad_response("the body cannot be read", Some(status));
        let reader = get_reader.call0(body).map_err(|_| unreadable())?;
        let read = method(&reader, "read").ok_or_else(unreadable)?;
        let decoder = TextDecoder::new().map_err(|_| unreadable())?;
        let streaming = TextDecodeOptions::new();
        streaming.set_stream(true);
        let mut text = String::new();
        let mut counted = 0usize;
        let outcome = loop {
            let chunk = match read.call0(&reader) {
                Ok(pending) => self.settle(pending).await,
                Err(_) => Err(unreadable()),
            };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => break Err(e),
            };
            if get(&chunk, "done").as_bool() == Some(true) {
                break decoder.decode().map_err(|_| unreadable());
            }
            let value = get(&chunk, "value");
            let Some(length) = byte_length(&value) else {
                break Err(unreadable());
            };
            // An empty chunk counts as one byte, so that a stream of them ends too.
            counted = counted.saturating_add(length.max(1));
            if counted > max_body_bytes {
                break Err(response::body_too_big(status, max_body_bytes));
            }
            // Chunks that are ready at once never let the timer's event run.
            if self.timed_out() {
                break Err(TokenError::timeout(self.timeout_ms));
            }
            match decoder.decode_with_buffer_source_and_options(value.unchecked_ref(), &streaming) {
                Ok(piece) => text.push_str(&piece),
                Err(_) => break Err(unreadable()),
            }
        };
        match outcome {
            Ok(rest) => {
                text.push_str(&rest);
                Ok(text)
            }
            Err(e) => {
                cancel(&reader);
                Err(e)
            }
        }
    }

    /// A body given by `text()` only: its size is checked before it is copied in.
    async fn read_text(
        &self,
        response: &JsValue,
        status: u16,
        max_body_bytes: usize,
    ) -> Result<String, TokenError> {
        let unreadable = || TokenError::bad_response("the body cannot be read", Some(status));
        let Some(text) = method(response, "text") else {
            return Ok(String::new());
        };
        let text = self
            .settle(text.call0(response).map_err(|_| unreadable())?)
            .await?;
        let text = text.dyn_into::<JsString>().map_err(|_| unreadable())?;
        if !fits(&text, max_body_bytes) {
            return Err(response::body_too_big(status, max_body_bytes));
        }
        Ok(String::from(text))
    }
}

/// Whether a JS string is at most `max` bytes as UTF-8. Its UTF-16 length settles most cases (a
/// unit is 1 to 3 bytes); otherwise a Blob measures it, outside the module.
fn fits(text: &JsString, max: usize) -> bool {
    let units = text.length() as usize;
    if units > max {
        return false;
    }
    if units.saturating_mul(3) <= max {
        return true;
    }
    Blob::new_with_str_sequence(&Array::of1(text)).is_ok_and(|blob| blob.size() <= max as f64)
}

/// fetch's init: a plain object, as the documented `FetchLike` contract says.
fn request_init(
    method: &str,
    bearer: Option<&str>,
    body: &JsValue,
    signal: &AbortSignal,
) -> Result<Object, TokenError> {
    let headers = Object::new();
    let mut fields = vec![("Content-Type", JsValue::from_str(CONTENT_TYPE))];
    if let Some(token) = bearer {
        fields.push(("Authorization", JsValue::from(format!("Bearer {token}"))));
    }
    set_all(&headers, &fields)?;
    let init = Object::new();
    set_all(
        &init,
        &[
            ("method", JsValue::from_str(method)),
            ("headers", headers.into()),
            ("body", body.clone()),
            // Following a redirect would re-send the secret to wherever it points.
            ("redirect", JsValue::from_str("manual")),
            ("signal", signal.into()),
        ],
    )?;
    Ok(init)
}

/// Sets properties of an object made here.
fn set_all(target: &Object, fields: &[(&str, JsValue)]) -> Result<(), TokenError> {
    for (key, value) in fields {
        Reflect::set(target, &JsValue::from_str(key), value).map_err(|_| TokenError::internal())?;
    }
    Ok(())
}

/// A promise of our own that follows `value`: a throwing `then` or `constructor` getter rejects it
/// instead of throwing here, as `Promise.resolve` would.
fn adopt(value: &JsValue) -> Promise {
    Promise::new(&mut |resolve, _| {
        let _ = resolve.call1(&JsValue::UNDEFINED, value);
    })
}

/// A property of a foreign value, or `undefined` when it has none or reading it throws.
fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn method(target: &JsValue, key: &str) -> Option<Function> {
    get(target, key).dyn_into::<Function>().ok()
}

/// A string value of at most `max` UTF-16 units, copied in; anything else is `None`.
fn short_text(value: &JsValue, max: u32) -> Option<String> {
    let text = value.dyn_ref::<JsString>()?;
    (text.length() <= max).then(|| String::from(text))
}

/// A response header through the response's own `headers.get`, or `None`.
fn header(response: &JsValue, name: &str) -> Option<String> {
    let headers = get(response, "headers");
    let value = method(&headers, "get")?
        .call1(&headers, &JsValue::from_str(name))
        .ok()?;
    short_text(&value, 64)
}

fn typed_array_byte_length() -> Option<Function> {
    let uint8_prototype = Object::get_prototype_of(&Uint8Array::new_with_length(0));
    let typed_array_prototype = Object::get_prototype_of(&uint8_prototype);
    let descriptor = Object::get_own_property_descriptor(
        &typed_array_prototype,
        &JsValue::from_str("byteLength"),
    );
    Reflect::get(&descriptor, &JsValue::from_str("get"))
        .ok()?
        .dyn_into()
        .ok()
}

/// The real byte length of a typed array chunk; `None` for anything that is not one.
fn byte_length(chunk: &JsValue) -> Option<usize> {
    let length = BYTE_LENGTH.with(|getter| getter.as_ref()?.call0(chunk).ok()?.as_f64())?;
    Some(length as usize)
}

/// Cancels a body stream or reader we stop reading, so its connection is freed; the promise
/// `cancel` returns is awaited in the background so that its rejection is never unhandled.
fn cancel(stream: &JsValue) {
    let Some(cancel) = method(stream, "cancel") else {
        return;
    };
    if let Ok(pending) = cancel.call0(stream) {
        let pending = adopt(&pending);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(pending).await;
        });
    }
}
