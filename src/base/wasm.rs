//! The Lark Base module's JS face: reads the params field by field, takes the token as given or
//! from the JS entry's token provider (getToken in the token module, so that the Larkbase node
//! shares its cache with Larkbase Get Token and the App Secret never reaches this module), runs the
//! plain-Rust flow on the shared platform (`js_platform`), and hands back the result or a
//! `LarkbaseError`. Every decision is made in `crate::base`.

use crate::base::error::{BaseError, BaseErrorCode};
use crate::base::flow::{Base, TokenSource};
use crate::base::lock::TableLocks;
use crate::base::ops::{self, ErrorOut};
use crate::base::params::{self, FieldSource};
use crate::http::Malformed;
use crate::js_platform::{adopt, get, read_fetch, short_text, JsPlatform};
use js_sys::{Function, Object, Reflect};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    // Whose turn it is to write to each table, for the life of the instance.
    static LOCKS: Rc<TableLocks> = Rc::default();
}

/// One Lark Base call: `operation` is `listTables`, `listFields`, `search`, `get`, `create`,
/// `update`, `delete` or `upsert`. `params` is the JS entry's JSON copy of the caller's params;
/// `tokens` the entry's token provider for a credential, `(renew) => Promise<access_token>`, or
/// `undefined` with `params.accessToken`; `domain` the credential's domain; `fetch` the caller's
/// fetch, if any. Rejects with a `LarkbaseError`.
#[wasm_bindgen(js_name = larkbase, unchecked_return_type = "unknown")]
pub async fn larkbase(
    operation: String,
    #[wasm_bindgen(unchecked_param_type = "object")] params: JsValue,
    #[wasm_bindgen(unchecked_param_type = "((renew: boolean) => Promise<string>) | undefined")]
    tokens: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | undefined")] domain: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] fetch: JsValue,
) -> Result<JsValue, JsValue> {
    call(&operation, params, tokens, domain, fetch)
        .await
        .map_err(|e| to_js_error(&e))
}

async fn call(
    operation: &str,
    params: JsValue,
    tokens: JsValue,
    domain: JsValue,
    fetch: JsValue,
) -> Result<JsValue, BaseError> {
    if !params.is_object() {
        return Err(BaseError::invalid(
            "params",
            "must be an object such as { base, table, accessToken }",
        ));
    }
    let fetch = read_fetch(fetch)?;
    let provider = match tokens.dyn_into::<Function>() {
        Ok(provider) => {
            let domain = match domain.as_string() {
                Some(domain) => crate::domain::base_url(&domain)
                    .map_err(|problem| BaseError::invalid("credential.domain", problem))?,
                None => crate::domain::LARK_BASE_URL.to_owned(),
            };
            Some((provider, domain))
        }
        Err(_) => None,
    };
    let fields = JsFields(params);
    let credential_base_url = provider.as_ref().map(|(_, domain)| domain.clone());
    let common = params::common(&fields, credential_base_url)?;
    let operation = params::operation(&fields, operation)?;
    let platform = JsPlatform {
        base_url: &common.settings.base_url,
        fetch,
    };
    let tokens = match (common.access_token, provider) {
        (Some(token), _) => Tokens::Given(token),
        (None, Some((provider, _))) => Tokens::Provided(provider),
        (None, None) => {
            return Err(BaseError::invalid(
                "accessToken",
                "is empty: give an access token or a credential",
            ))
        }
    };
    let locks = LOCKS.with(Rc::clone);
    let base = Base {
        platform: &platform,
        tokens: &tokens,
        locks: &locks,
        settings: &common.settings,
    };
    let output = ops::run(&base, common.table_id.as_deref(), operation).await?;
    to_js(&output)
}

/// Where the token comes from. One type for both, so the flow is compiled once.
pub(crate) enum Tokens {
    Given(String),
    /// A tenant token from getToken's cache (or Lark) for every request, as the credential's
    /// `authenticate` does for n8n's HTTP Request node; `renew` asks Lark for a fresh one.
    Provided(Function),
}

impl TokenSource for Tokens {
    async fn token(&self, renew: bool) -> Result<String, BaseError> {
        let provider = match self {
            Self::Given(token) => return Ok(token.clone()),
            Self::Provided(provider) => provider,
        };
        let pending = provider
            .call1(&JsValue::UNDEFINED, &JsValue::from_bool(renew))
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
        matches!(self, Self::Provided(_))
    }

    /// The App Secret never reaches this module: the token module gets the tokens.
    fn secret(&self) -> Option<&str> {
        None
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

/// The params object, read one field at a time so that an error names its field.
pub(crate) struct JsFields(pub(crate) JsValue);

impl FieldSource for JsFields {
    fn field<T: DeserializeOwned>(&self, name: &'static str) -> Result<Option<T>, Malformed> {
        let value =
            Reflect::get(&self.0, &JsValue::from_str(name)).map_err(|_| Malformed::WrongShape)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        serde_wasm_bindgen::from_value(value)
            .map(Some)
            .map_err(|_| Malformed::WrongShape)
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
  /** Whole milliseconds per attempt, 1 to 300000. Default 30000. */
  timeoutMs?: number;
  /** Whole milliseconds for all attempts of one request and the waits between them, 1 to 600000. Default 60000. */
  deadlineMs?: number;
  /** Tries per request for rate limits, write conflicts, network errors and 5xx, 1 to 10. Default 5. */
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
  | 'NETWORK_ERROR' | 'TIMEOUT' | 'BAD_RESPONSE' | 'NOT_SENT';

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
