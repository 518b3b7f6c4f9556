//! The Lark Base module's JS face: reads the params field by field, takes the token as given or
//! from the JS entry's token provider (getToken in the token module, so that the Larkbase node
//! shares its cache with Larkbase Get Token and the App Secret never reaches this module), runs the
//! plain-Rust flow on the shared platform (`js_platform`), and hands back the result or a
//! `LarkbaseError`. Every decision is made in `crate::base`.

use crate::base::error::{BaseError, BaseErrorCode};
use crate::base::flow::{Base, Shared, TokenSource};
use crate::base::ops::{self, ErrorOut};
use crate::base::pace::Lane;
use crate::base::params::{self, Fields};
use crate::js_platform::{adopt, get, read_fetch, short_text, JsPlatform};
use js_sys::{Function, Object};
use serde::Serialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    // Whose turn it is to write to each table, and each app's pace, for the life of the instance.
    static SHARED: Rc<Shared> = Rc::default();
}

/// One Lark Base call: `operation` is `listTables`, `listFields`, `search`, `get`, `create`,
/// `update`, `delete` or `upsert`. `params` is the JS entry's JSON copy of the caller's params.
/// `host` is what the JS entry adds: `tokens`, its token provider for a credential,
/// `(renew, withinMs) => Promise<access_token>` (without it, `params.accessToken` is used), with `domain`,
/// the credential's domain, and `app`, who the app is (to pace its calls together); `fetch`, the
/// caller's fetch, if any; and `journal`, told the items of each write batch (and a create batch's
/// client token) just before it is sent. Rejects with a `LarkbaseError`.
#[wasm_bindgen(js_name = larkbase, unchecked_return_type = "string")]
pub async fn larkbase(
    operation: String,
    params: String,
    #[wasm_bindgen(unchecked_param_type = "LarkbaseHost")] host: JsValue,
) -> Result<JsValue, JsValue> {
    call(&operation, &params, &host)
        .await
        .map_err(|e| to_js_error(&e))
}

async fn call(operation: &str, params: &str, host: &JsValue) -> Result<JsValue, BaseError> {
    let fields = Fields::parse(params)?;
    let Host { fetch, provider } = read_host(host)?;
    let credential_base_url = provider.as_ref().map(|p| p.base_url.clone());
    let common = params::common(&fields, credential_base_url)?;
    let operation = params::operation(&fields, operation)?;
    let platform = JsPlatform {
        base_url: &common.settings.base_url,
        fetch,
    };
    let tokens = Tokens::of(common.access_token, provider)?;
    let journal = get(host, "journal").dyn_into::<Function>().ok();
    let tell = move |items: &[u32], client_token: Option<&str>| {
        if let Some(journal) = &journal {
            let items: Vec<JsValue> = items.iter().map(|&i| JsValue::from(i)).collect();
            let token = client_token.map_or(JsValue::UNDEFINED, JsValue::from_str);
            // The entry's own function; what it might throw is of no use here.
            let _ = journal.call2(
                &JsValue::UNDEFINED,
                &js_sys::Array::from_iter(items),
                &token,
            );
        }
    };
    let shared = shared();
    let base = Base::new(&platform, &tokens, &shared, &common.settings).with_journal(&tell);
    let output = ops::run(&base, common.table_id.as_deref(), operation).await?;
    to_json(&output)
}

/// A result as JSON text, which the JS entry parses far faster than the module builds JS objects.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<JsValue, BaseError> {
    serde_json::to_string(value)
        .map(|json| JsValue::from_str(&json))
        .map_err(|_| BaseError::from(crate::error::TokenError::internal()))
}

/// What the JS entry hands every call besides its params.
pub(crate) struct Host {
    pub fetch: Option<Function>,
    pub provider: Option<Provider>,
}

/// The credential's token provider, the base URL its tokens are for, and who the app is.
pub(crate) struct Provider {
    pub tokens: Function,
    pub base_url: String,
    pub app: String,
}

pub(crate) fn read_host(host: &JsValue) -> Result<Host, BaseError> {
    let fetch = read_fetch(get(host, "fetch"))?;
    let provider = match get(host, "tokens").dyn_into::<Function>() {
        Ok(tokens) => {
            let base_url = match get(host, "domain").as_string() {
                Some(domain) => crate::domain::base_url(&domain)
                    .map_err(|problem| BaseError::invalid("credential.domain", problem))?,
                None => crate::domain::LARK_BASE_URL.to_owned(),
            };
            let app = short_text(&get(host, "app"), 512).unwrap_or_default();
            Some(Provider {
                tokens,
                base_url,
                app,
            })
        }
        Err(_) => None,
    };
    Ok(Host { fetch, provider })
}

/// What this instance's calls share: the trigger's calls pace with the Larkbase node's.
pub(crate) fn shared() -> Rc<Shared> {
    SHARED.with(Rc::clone)
}

/// The pace of each app's lanes, for the instance that replaces this one (see `restorePace`).
#[wasm_bindgen(js_name = paceLanes, unchecked_return_type = "PaceLane[]")]
pub fn pace_lanes() -> JsValue {
    let lanes: Vec<PaceLane> = SHARED.with(|shared| {
        shared
            .pacer
            .lanes()
            .into_iter()
            .map(|(key, l)| {
                let numbers = [
                    l.resume_at,
                    l.interval_ms,
                    f64::from(u8::from(l.stated)),
                    l.next_at,
                    f64::from(l.strikes),
                    f64::from(l.passed),
                    l.slowed_at,
                    l.touched,
                ];
                (format!("{key:x}"), numbers)
            })
            .collect()
    });
    to_js(&lanes).unwrap_or(JsValue::UNDEFINED)
}

/// Takes over the lanes `paceLanes` gave out.
#[wasm_bindgen(js_name = restorePace)]
pub fn restore_pace(#[wasm_bindgen(unchecked_param_type = "PaceLane[]")] lanes: JsValue) {
    let Ok(lanes) = serde_wasm_bindgen::from_value::<Vec<PaceLane>>(lanes) else {
        return;
    };
    let lanes = lanes.into_iter().filter_map(
        |(key, [resume_at, interval_ms, stated, next_at, strikes, passed, slowed_at, touched])| {
            let lane = Lane {
                resume_at,
                interval_ms,
                stated: stated == 1.0,
                next_at,
                strikes: strikes.clamp(0.0, 1000.0) as u32,
                passed: passed.clamp(0.0, 1e9) as u32,
                slowed_at,
                touched,
            };
            Some((u64::from_str_radix(&key, 16).ok()?, lane))
        },
    );
    SHARED.with(|shared| shared.pacer.restore(lanes));
}

/// A lane as it crosses to the JS entry and back: its key, and its times and counts.
type PaceLane = (String, [f64; 8]);

/// Where the token comes from. One type for both, so the flow is compiled once.
pub(crate) enum Tokens {
    Given(String),
    /// A tenant token from getToken's cache (or Lark) for every request, as the credential's
    /// `authenticate` does for n8n's HTTP Request node; `renew` asks Lark for a fresh one. With
    /// who the app is.
    Provided(Function, String),
}

impl Tokens {
    /// The params' access token, or else the credential's provider.
    pub(crate) fn of(
        access_token: Option<String>,
        provider: Option<Provider>,
    ) -> Result<Self, BaseError> {
        match (access_token, provider) {
            (Some(token), _) => Ok(Self::Given(token)),
            (None, Some(provider)) => Ok(Self::Provided(provider.tokens, provider.app)),
            (None, None) => Err(BaseError::invalid(
                "accessToken",
                "is empty: give an access token or a credential",
            )),
        }
    }
}

impl TokenSource for Tokens {
    async fn token(&self, renew: bool, within_ms: u32) -> Result<String, BaseError> {
        let provider = match self {
            Self::Given(token) => return Ok(token.clone()),
            Self::Provided(provider, _) => provider,
        };
        let pending = provider
            .call2(
                &JsValue::UNDEFINED,
                &JsValue::from_bool(renew),
                &JsValue::from(within_ms),
            )
            .map_err(|e| token_failure(&e))?;
        let token = JsFuture::from(adopt(&pending))
            .await
            .map_err(|e| token_failure(&e))?;
        short_text(&token, 4096)
            .filter(|token| !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                BaseError::new(
                    BaseErrorCode::BadResponse,
                    "the credential gave no usable access token".to_owned(),
                    "check the credential with its Test button",
                )
            })
    }

    fn can_renew(&self) -> bool {
        matches!(self, Self::Provided(..))
    }

    fn app(&self) -> &str {
        match self {
            Self::Given(token) => token,
            Self::Provided(_, app) => app,
        }
    }
}

/// getToken's rejection (a `LarkbaseTokenError` from the token module) as this module's error:
/// its code, and its texts, which that module already made safe to show.
pub(crate) fn token_failure(error: &JsValue) -> BaseError {
    let text = |key: &str, max: u32| short_text(&get(error, key), max);
    let number = |key: &str| get(error, key).as_f64().filter(|n| n.fract() == 0.0);
    let code = match text("code", 32).as_deref() {
        Some("INVALID_PARAMS") => BaseErrorCode::InvalidParams,
        Some("AUTH_FAILED") => BaseErrorCode::AuthFailed,
        Some("RATE_LIMITED") => BaseErrorCode::RateLimited,
        Some("LARK_ERROR") => BaseErrorCode::LarkError,
        Some("HTTP_ERROR") => BaseErrorCode::HttpError,
        Some("NETWORK_ERROR") => BaseErrorCode::NetworkError,
        Some("TIMEOUT") => BaseErrorCode::Timeout,
        Some("BAD_RESPONSE") => BaseErrorCode::BadResponse,
        Some("APP_TICKET_PENDING") => BaseErrorCode::TokenInvalid,
        _ => BaseErrorCode::Internal,
    };
    let message = text("message", 1400).unwrap_or_else(|| "getting an access token failed".into());
    let hint = text("hint", 400).unwrap_or_default();
    BaseError {
        field: text("field", 32).map(|field| format!("credential.{field}")),
        lark_code: number("larkCode").map(|n| n as i64),
        lark_msg: text("larkMsg", 1200),
        http_status: number("httpStatus").and_then(|n| u16::try_from(n as i64).ok()),
        attempts: number("attempts").map_or(1, |n| n.clamp(0.0, 100.0) as u32),
        ..BaseError::new(code, format!("credential: {message}"), &hint)
    }
}

/// Results as plain JS objects and arrays (not `Map`s), as `JSON.parse` would give them.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, BaseError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| BaseError::from(crate::error::TokenError::internal()))
}

/// The one place a `BaseError` becomes a JS `Error`: its fields on an `Error` named `LarkbaseError`.
pub(crate) fn to_js_error(e: &BaseError) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    error.set_name("LarkbaseError");
    if let Ok(fields) = to_js(&ErrorOut::from(e)) {
        if let Some(fields) = fields.dyn_ref::<Object>() {
            Object::assign(&error, fields);
        }
    }
    error.into()
}

#[wasm_bindgen(typescript_custom_section)]
const BASE_TYPES: &str = r#"
import type { FetchLike, TokenParams } from './larkbase_get_token';
/** What the JS entry hands a call besides its params. */
export interface LarkbaseHost {
  tokens?: (renew: boolean, withinMs: number) => Promise<string>;
  domain?: string;
  app?: string;
  fetch?: unknown;
  journal?: (items: number[], clientToken: string | undefined) => void;
}
/** An app's pace, carried to the instance that replaces this one. */
export type PaceLane = [string, [number, number, number, number, number, number, number, number]];
/** Where, with which token, and how patiently: what every Lark Base call takes. */
export interface BaseParams {
  /** The base: its browser URL (`https://<tenant>.larksuite.com/base/<app_token>?table=...`) or its app_token. */
  base: string;
  /** The table: its URL or table_id. Defaults to the table named by the base's URL. */
  table?: string;
  /** A tenant access token, e.g. from getToken or the Larkbase Get Token node. */
  accessToken?: string;
  /** Instead of accessToken: getToken's params. A token comes from the cache for every request. */
  credential?: TokenParams;
  /** With accessToken: 'lark' (default), 'feishu' or a base URL, as in getToken. */
  domain?: 'lark' | 'feishu' | (string & {});
  /** Whole milliseconds per request, its answer included, 1 to 300000. Default 30000. */
  timeoutMs?: number;
  /** Whole milliseconds for the whole call (every page, batch, retry, turn and wait for Lark's rate limit), 1 to 3600000. Default 300000. */
  deadlineMs?: number;
  /** Tries per request for write conflicts, network errors, timeouts and 5xx, 1 to 10. Default 5. Rate limits are waited out up to the deadline. */
  maxAttempts?: number;
  /** Text cells as plain strings (default true) instead of Lark's rich-text segments. */
  simplify?: boolean;
  /** After a failed batch, send nothing more: the remaining rows fail with NOT_SENT. Default false. */
  stopOnError?: boolean;
  /** Used instead of the global fetch (proxies, tests, n8n's request helper). */
  fetch?: FetchLike;
}

export interface FilterCondition {
  field_name: string;
  operator:
    | 'is' | 'isNot' | 'contains' | 'doesNotContain' | 'isEmpty' | 'isNotEmpty'
    | 'isGreater' | 'isGreaterEqual' | 'isLess' | 'isLessEqual' | 'like' | 'in';
  /** Always strings; dates as ['ExactDate', '<Unix ms>']. */
  value?: string[];
}

export interface Filter {
  conjunction: 'and' | 'or';
  conditions: FilterCondition[];
  children?: Filter[];
}

export interface SearchParams extends BaseParams {
  filter?: Filter;
  sort?: Array<{ field_name: string; desc?: boolean }>;
  viewId?: string;
  /** Only these columns in each record. */
  fieldNames?: string[];
  /** The first `limit` records; all of them when left out. */
  limit?: number;
}

/** One input row: its values by column name, and the record it is about. */
export interface BaseRow {
  /** Reported back with the row's outcome; the row's position when left out. */
  item?: number;
  /** For get, update and delete. */
  recordId?: string;
  /** For create, update and upsert: column name to value, converted for the column's type. */
  fields?: Record<string, unknown>;
}

export interface RowParams extends BaseParams {
  rows: BaseRow[];
}

export interface WriteParams extends RowParams {
  /** Row fields that are no column of the table: an error for the row (default), or left out. */
  unknownColumns?: 'error' | 'ignore';
  /**
   * Creates: the client token an earlier error gave (a UUID). The create batches' tokens are made
   * from it, so that the same rows sent again are not created twice. A random one when left out.
   */
  clientToken?: string;
}

export interface UpsertParams extends WriteParams {
  /** The key columns: a record whose cells in all of them equal the row's is updated. */
  keys: string[];
}

export interface BaseRecord {
  record_id: string;
  fields: Record<string, unknown>;
}

/** What became of one row: a record and what was done with it, or the error for that row. */
export interface BaseItem {
  item: number;
  action?: 'found' | 'created' | 'updated' | 'deleted';
  record?: BaseRecord;
  error?: LarkbaseErrorFields;
}

export type LarkbaseErrorCode =
  | 'INVALID_PARAMS' | 'INVALID_VALUE' | 'DUPLICATE_KEY' | 'NOT_FOUND' | 'TOKEN_INVALID'
  | 'AUTH_FAILED' | 'RATE_LIMITED' | 'WRITE_CONFLICT' | 'LARK_ERROR' | 'HTTP_ERROR'
  | 'NETWORK_ERROR' | 'TIMEOUT' | 'BAD_RESPONSE' | 'NOT_SENT' | 'INTERNAL_ERROR';

export interface LarkbaseErrorFields {
  message: string;
  code: LarkbaseErrorCode;
  /** One line on what to do about it. */
  hint: string;
  /** For INVALID_PARAMS: the params field at fault. */
  field?: string;
  /** For INVALID_VALUE and DUPLICATE_KEY: the column at fault. */
  column?: string;
  larkCode?: number;
  larkMsg?: string;
  httpStatus?: number;
  attempts: number;
  /** For a create batch that may have been applied: give it as `clientToken` to run the same rows again safely. */
  clientToken?: string;
}

/** What a Lark Base call rejects with. No property holds the token or the App Secret. */
export interface LarkbaseError extends Error, LarkbaseErrorFields {
  name: 'LarkbaseError';
}

export interface BaseTable {
  table_id: string;
  name: string;
  revision?: number;
}

export interface BaseField {
  field_id: string;
  field_name: string;
  /** Lark's field type: 1 text, 2 number, 3 single select, 4 multiple select, 5 date, 7 checkbox, 11 person, ... */
  type: number;
  ui_type?: string;
  is_primary: boolean;
  /** Formulas, lookups and the automatic columns, which Lark computes. */
  read_only: boolean;
}

/** A column as n8n's resource mapper takes it. */
export interface BaseMapperField {
  id: string;
  displayName: string;
  required: boolean;
  defaultMatch: boolean;
  canBeUsedToMatch: boolean;
  display: boolean;
  type: 'string' | 'number' | 'boolean' | 'options' | 'dateTime';
  options?: Array<{ name: string; value: string }>;
  readOnly: boolean;
  removed: boolean;
}
"#;
