//! The token module's JS face: moves params, results and errors across with serde-wasm-bindgen and
//! runs the token flow on the shared platform (`js_platform`). Every decision is made by the
//! plain-Rust modules. The params arrive as the JS entry's snapshot (plain values only).

use crate::error::TokenError;
use crate::js_platform::{read_fetch, JsPlatform};
use crate::redact::SecretForms;
use crate::token::cache::{CacheKey, CachedToken, Map};
use crate::token::flow::{self, Outcome, TokenState};
use crate::token::params::{self, Params, RawParams};
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

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
  /**
   * `'store'` for a store app: without `appTicket`, the newest app_ticket this process received
   * (from the Larkbase Trigger) is used; with none yet, Lark is asked to resend it and the call
   * fails with APP_TICKET_PENDING. Default `'selfBuilt'`.
   */
  appType?: 'selfBuilt' | 'store';
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
  | 'APP_TICKET_PENDING'
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

/** A cache entry as the JS entry keeps a copy of it: `[key, access_token, url, msg, expires_at_ms]`. */
export type CacheEntry = [string, string, string, string, number];
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

/// What the cache took in since `since` (a clock this function returned before, or 0), for the JS
/// entry's copy of it: `[clock, key, access_token, url, msg, expires_at_ms, key, ...]`, built by
/// hand (serde's tuples cost the module kilobytes).
#[wasm_bindgen(js_name = cacheChanges, unchecked_return_type = "Array<number | string>")]
pub fn cache_changes(since: f64) -> Array {
    STATE.with(|state| {
        let cache = state.cache.borrow();
        let (clock, changes) = cache.changes_since(since as u64);
        let out = Array::of1(&JsValue::from(clock as f64));
        for (key, token) in changes {
            out.push(&JsValue::from(key.to_text()));
            out.push(&JsValue::from_str(&token.access_token));
            out.push(&JsValue::from_str(&token.display_url));
            out.push(&JsValue::from_str(&token.msg));
            out.push(&JsValue::from(token.expires_at_ms as f64));
        }
        out
    })
}

/// Puts back entries that `cacheChanges` gave out (`[key, access_token, url, msg, expires_at_ms]`
/// each), into a fresh instance's cache.
#[wasm_bindgen(js_name = restoreCache)]
pub fn restore_cache(#[wasm_bindgen(unchecked_param_type = "CacheEntry[]")] entries: Array) {
    STATE.with(|state| {
        let mut cache = state.cache.borrow_mut();
        for entry in entries.iter() {
            let part = |n: u32| Reflect::get_u32(&entry, n).unwrap_or(JsValue::UNDEFINED);
            let key = part(0).as_string().and_then(|k| CacheKey::from_text(&k));
            let fields = (
                part(1).as_string(),
                part(2).as_string(),
                part(3).as_string(),
            );
            let expires_at_ms = part(4).as_f64();
            if let (Some(key), (Some(access_token), Some(display_url), Some(msg)), Some(at)) =
                (key, fields, expires_at_ms)
            {
                let token = CachedToken {
                    access_token,
                    display_url,
                    msg,
                    expires_at_ms: at.max(0.0) as u64,
                };
                cache.insert(key, token);
            }
        }
    });
}

/// Whether `text` holds `app_secret` (as getToken reads it: surrounding white space dropped) in any
/// spelling: for texts that another module put in an error, which must never show it. Takes the
/// secret alone, so that the search never depends on the other params being valid.
#[wasm_bindgen(js_name = holdsSecret)]
pub fn holds_secret(app_secret: &str, text: &str) -> bool {
    SecretForms::of(app_secret.trim()).found_in(text)
}

/// Keeps `params.appTicket` as the newest app_ticket of the store app `params.appId` (at
/// `params.domain`), as the Larkbase Trigger received it: store-app calls given no ticket use it.
#[wasm_bindgen(js_name = rememberAppTicket)]
pub fn remember_app_ticket(params: JsValue) -> Result<(), JsValue> {
    let remember = || -> Result<(), TokenError> {
        let raw: RawParams = serde_wasm_bindgen::from_value(params)
            .map_err(|_| TokenError::invalid("params", "must be { appId, appTicket, domain }"))?;
        let (app_id, ticket, base_url) = params::ticket_params(raw)?;
        STATE.with(|state| {
            state
                .tickets
                .borrow_mut()
                .remember(&base_url, &app_id, &ticket)
        });
        Ok(())
    };
    remember().map_err(|e| to_js_error(&e))
}

/// Empties the token cache of this instance.
#[wasm_bindgen(js_name = clearTokenCache)]
pub fn clear_token_cache() {
    STATE.with(|state| state.cache.borrow_mut().clear());
    SEEN_HITS.with_borrow_mut(|seen| seen.clear());
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

fn read_params(snapshot: JsValue) -> Result<Params, TokenError> {
    let raw: RawParams = serde_wasm_bindgen::from_value(snapshot).map_err(|_| {
        TokenError::invalid("params", "must be an object such as { appId, appSecret }")
    })?;
    params::validate(raw)
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
