//! The trigger's exports, in the Lark Base module: a request to the Request URL judged and turned
//! into an answer and items, a poll of a table, the subscription to a base, and the columns a table
//! can be polled by. Values are moved and fetch is called here; every decision is made in
//! `crate::events` and `crate::base`.

use super::delivery::{Delivery, Keys, DEFAULT_MAX_AGE_S, MAX_BODY_BYTES};
use super::handle::{self, EventState, Lark, Request, Wanted};
use super::poll::{self, Mode, Position};
use super::record::{Action, Filter, Shape};
use super::{columns, crypto::EncryptKey, subscribe};
use crate::base::answer::FieldInfo;
use crate::base::error::BaseError;
use crate::base::flow::{Base, Settings};
use crate::base::locator;
use crate::base::params::{self, Fields};
use crate::base::wasm::{read_host, shared, to_js_error, to_json, Host, Tokens};
use crate::js_platform::JsPlatform;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

thread_local! {
    // The events handled and in flight, and the columns read, for the life of the instance.
    static STATE: Rc<EventState> = Rc::default();
}

/// The events this instance handled, as JSON text, for the instance that replaces it (see
/// `restoreHandledEvents`): a retry of one of them must not start a second execution there.
#[wasm_bindgen(js_name = handledEvents)]
pub fn handled_events() -> String {
    STATE.with(|state| serde_json::to_string(&state.seen.borrow().handled()).unwrap_or_default())
}

/// Takes over what `handledEvents` gave.
#[wasm_bindgen(js_name = restoreHandledEvents)]
pub fn restore_handled_events(handled: &str) {
    if let Ok(handled) = serde_json::from_str(handled) {
        STATE.with(|state| state.seen.borrow_mut().restore(handled));
    }
}

/// The largest request body the trigger hands in; larger ones are answered 413 without being
/// copied into the module.
#[wasm_bindgen(js_name = maxEventBodyBytes)]
pub fn max_event_body_bytes() -> f64 {
    MAX_BODY_BYTES as f64
}

/// What the trigger hands over with a request, besides its body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventInput {
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    encrypt_key: Option<String>,
    #[serde(default)]
    verification_token: Option<String>,
    #[serde(default)]
    max_age_s: Option<f64>,
    scope: String,
    #[serde(default)]
    seen: Vec<String>,
    #[serde(default)]
    any_event: bool,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default = "yes")]
    simplify: bool,
    #[serde(default)]
    before: bool,
    #[serde(default)]
    full_record: bool,
    #[serde(default)]
    pass_tickets: bool,
    /// The credential's App ID, set by the JS entry.
    #[serde(default)]
    app_id: String,
}

fn yes() -> bool {
    true
}

/// One request to the Request URL: `body` its raw bytes (at most `maxEventBodyBytes()`), `input`
/// the headers and the node's settings as JSON text, `host` as for `larkbase` (without `journal`).
/// Resolves to `{ status, answer, kind, seen?, ticket?, items, error? }` as JSON text: how to
/// answer, and what to start.
#[wasm_bindgen(js_name = larkbaseEvent, unchecked_return_type = "string")]
pub async fn larkbase_event(
    body: Vec<u8>,
    input: String,
    #[wasm_bindgen(unchecked_param_type = "LarkbaseHost")] host: JsValue,
) -> Result<JsValue, JsValue> {
    event(body, &input, &host)
        .await
        .map_err(|e| to_js_error(&e))
}

async fn event(body: Vec<u8>, input: &str, host: &JsValue) -> Result<JsValue, BaseError> {
    let input: EventInput = serde_json::from_str(input)
        .map_err(|_| BaseError::invalid("event", "must be the trigger's request"))?;
    let Host { fetch, provider } = read_host(host)?;
    let provider = provider.ok_or_else(|| BaseError::invalid("credential", "is required"))?;
    let base_url = provider.base_url.clone();
    let tokens = Tokens::of(None, Some(provider))?;
    let platform = JsPlatform {
        base_url: &base_url,
        fetch,
    };
    let location = match input.base.as_deref().map(str::trim) {
        Some(base) if !base.is_empty() => Some(locator::base(base, "base")?),
        _ => None,
    };
    let table_id = match (input.table.as_deref().map(str::trim), &location) {
        (Some(table), Some(location)) if !table.is_empty() => {
            Some(locator::table(table, location, "table")?)
        }
        (_, Some(location)) => location.table_id.clone(),
        _ => None,
    };
    let wanted = Wanted {
        any_event: input.any_event,
        filter: Filter {
            app_token: location.map(|l| l.app_token),
            table_id,
            actions: input
                .actions
                .iter()
                .filter_map(|a| Action::parse(a))
                .collect(),
        },
        shape: Shape {
            simplify: input.simplify,
            before: input.before,
        },
        full_record: input.full_record,
        pass_tickets: input.pass_tickets,
    };
    let keys = Keys {
        encrypt_key: nonempty(input.encrypt_key).map(|k| EncryptKey::new(&k)),
        verification_token: nonempty(input.verification_token),
        max_age_s: input
            .max_age_s
            .filter(|s| s.fract() == 0.0 && (1.0..=86_400.0).contains(s))
            .map_or(DEFAULT_MAX_AGE_S, |s| s as u32),
    };
    let request = Request {
        delivery: Delivery {
            body: &body,
            timestamp: input.timestamp.as_deref(),
            nonce: input.nonce.as_deref(),
            signature: input.signature.as_deref(),
            now_ms: js_sys::Date::now(),
        },
        keys: &keys,
        scope: &input.scope,
        static_seen: input.seen,
        app_id: &input.app_id,
        wanted: &wanted,
    };
    let shared = shared();
    let lark = Lark {
        platform: &platform,
        tokens: &tokens,
        base_url: &base_url,
        shared: &shared,
    };
    let state = STATE.with(Rc::clone);
    let handled = handle::handle(&state, &lark, request).await;
    to_json(&handled)
}

fn nonempty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A Lark Base call's params and what runs it: where, how, and with which token.
struct Call {
    fields: Fields,
    settings: Settings,
    table_id: Option<String>,
    tokens: Tokens,
    fetch: Option<js_sys::Function>,
}

impl Call {
    fn read(params: &str, host: &JsValue) -> Result<Self, BaseError> {
        let fields = Fields::parse(params)?;
        let Host { fetch, provider } = read_host(host)?;
        let common = params::common(&fields, provider.as_ref().map(|p| p.base_url.clone()))?;
        Ok(Self {
            fields,
            tokens: Tokens::of(common.access_token, provider)?,
            settings: common.settings,
            table_id: common.table_id,
            fetch,
        })
    }

    fn table_id(&self) -> Result<String, BaseError> {
        self.table_id.clone().ok_or_else(|| {
            BaseError::invalid(
                "table",
                "is empty: pick a table, or paste its URL or table ID",
            )
        })
    }

    fn platform(&self) -> JsPlatform<'_> {
        JsPlatform {
            base_url: &self.settings.base_url,
            fetch: self.fetch.clone(),
        }
    }
}

/// The table's columns, from the instance's memory when they were read recently.
async fn columns_of(
    base: &Base<'_, JsPlatform<'_>, Tokens>,
    table_id: &str,
    state: &EventState,
) -> Result<Vec<FieldInfo>, BaseError> {
    let s = base.settings();
    let key = columns::key(&s.base_url, &s.app_token, table_id);
    let now = js_sys::Date::now();
    if let Some(found) = state.columns.borrow().get(&key, now) {
        return Ok(found);
    }
    let read = base.list_fields(table_id).await?;
    state.columns.borrow_mut().put(&key, now, read.clone());
    Ok(read)
}

/// One poll of a table: `params` (JSON text) are a Lark Base call's (`base`, `table`, ...) plus
/// `column`, `filter`, `position` (from the last poll, or none) and `manual`; `host` as for
/// `larkbase`. Resolves to `{ records, position }` as JSON text.
#[wasm_bindgen(js_name = larkbasePoll, unchecked_return_type = "string")]
pub async fn larkbase_poll(
    params: String,
    #[wasm_bindgen(unchecked_param_type = "LarkbaseHost")] host: JsValue,
) -> Result<JsValue, JsValue> {
    poll_table(&params, &host)
        .await
        .map_err(|e| to_js_error(&e))
}

async fn poll_table(params: &str, host: &JsValue) -> Result<JsValue, BaseError> {
    let call = Call::read(params, host)?;
    let fields = &call.fields;
    let column = params::read::<String>(
        fields,
        "column",
        "the name of a Created time or Last modified time column",
    )?
    .unwrap_or_default();
    let filter = params::filter(fields)?;
    let position =
        params::read::<Position>(fields, "position", "the position the last poll returned")?;
    let manual = params::read::<bool>(fields, "manual", "true or false")?.unwrap_or(false);
    let table_id = call.table_id()?;
    let platform = call.platform();
    let shared = shared();
    let base = Base::new(&platform, &call.tokens, &shared, &call.settings);
    let state = STATE.with(Rc::clone);
    let columns = columns_of(&base, &table_id, &state).await?;
    let mode = if manual {
        Mode::Manual
    } else {
        Mode::Scheduled
    };
    let out = poll::poll(
        &base,
        &table_id,
        &columns,
        column.trim(),
        filter,
        position,
        mode,
    )
    .await?;
    to_json(&out)
}

/// Subscribes the credential's app to the base in `params.base`, so that Lark sends its record
/// events. Subscribing again is harmless.
#[wasm_bindgen(js_name = larkbaseSubscribe)]
pub async fn larkbase_subscribe(
    params: String,
    #[wasm_bindgen(unchecked_param_type = "LarkbaseHost")] host: JsValue,
) -> Result<(), JsValue> {
    let run = async {
        let call = Call::read(&params, &host)?;
        let platform = call.platform();
        let shared = shared();
        let base = Base::new(&platform, &call.tokens, &shared, &call.settings);
        subscribe::subscribe(&base).await
    };
    run.await.map_err(|e| to_js_error(&e))
}

#[derive(Serialize)]
struct TriggerColumn<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: i64,
}

/// The table's columns a poll can go by (Created time, Last modified time), as JSON text of
/// `[{ name, type }]`.
#[wasm_bindgen(js_name = larkbaseTriggerColumns, unchecked_return_type = "string")]
pub async fn larkbase_trigger_columns(
    params: String,
    #[wasm_bindgen(unchecked_param_type = "LarkbaseHost")] host: JsValue,
) -> Result<JsValue, JsValue> {
    let run = async {
        let call = Call::read(&params, &host)?;
        let table_id = call.table_id()?;
        let platform = call.platform();
        let shared = shared();
        let base = Base::new(&platform, &call.tokens, &shared, &call.settings);
        let read = base.list_fields(&table_id).await?;
        let found: Vec<TriggerColumn> = poll::trigger_columns(&read)
            .into_iter()
            .map(|c| TriggerColumn {
                name: &c.field_name,
                kind: c.kind,
            })
            .collect();
        to_json(&found)
    };
    run.await.map_err(|e| to_js_error(&e))
}

#[wasm_bindgen(typescript_custom_section)]
const EVENT_TYPES: &str = r#"
/** What to do with a request to the Request URL. */
export interface EventOutcome {
  /** The HTTP status and JSON body to answer Lark with. */
  status: number;
  answer: { challenge: string } | { code: number; msg: string };
  kind: 'challenge' | 'refused' | 'tooLarge' | 'malformed' | 'busy' | 'duplicate' | 'retryLater'
    | 'failed' | 'appTicket' | 'event' | 'ignored' | 'records';
  /** The static data's event IDs, when they changed. */
  seen?: string[];
  /** A store app's app_ticket, pushed by Lark. */
  ticket?: { appId: string; appTicket: string };
  /** The execution's items; none: nothing to start. */
  items: Array<Record<string, unknown>>;
  /** Handling failed for good: the error to report. */
  error?: LarkbaseErrorFields;
}

/** Where a poll stopped: the newest time handed out (Unix ms), the floor below which records are
 * old, and the records handed out at or above it, each with its time. */
export interface PollPosition {
  time: number;
  floor: number;
  ids: string[];
  times: number[];
}

export interface PollOutcome {
  records: BaseRecord[];
  position: PollPosition;
}
"#;
