//! Lark's event bodies (LARK_API.md, Events): the outer JSON (plain, or `{ "encrypt" }`), schema
//! 2.0 events (`header` + `event`), the older schema (`uuid`, `token`, `ts`, `event.type`) in which
//! `app_ticket` still arrives, and the Lark Base events this package reads. Read with serde_json,
//! whose recursion limit bounds a hostile body's nesting; what has no fixed shape is kept as a
//! depth-capped `Value`.

use crate::base::value::Value;
use crate::lenient::Scalar;
use serde::{Deserialize, Serialize};

pub const RECORD_CHANGED: &str = "drive.file.bitable_record_changed_v1";
pub const FIELD_CHANGED: &str = "drive.file.bitable_field_changed_v1";
pub const APP_TICKET: &str = "app_ticket";
/// IDs, tokens and tickets longer than this are not Lark's.
const MAX_ID_CHARS: usize = 256;

/// Every field either schema may have at the top level.
#[derive(Debug, Default, Deserialize)]
pub struct Raw {
    #[serde(default)]
    pub encrypt: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub challenge: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub header: Option<Header>,
    #[serde(default)]
    pub event: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    pub uuid: Option<String>,
    /// A scalar, skipped unread when it is not: read before the body is authenticated, a list
    /// here was read whole, and a few MiB of one grew the module past the size it is replaced at.
    #[serde(default)]
    pub ts: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Header {
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub create_time: Option<Scalar>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub tenant_key: Option<String>,
}

impl Raw {
    /// The body as JSON of this shape; serde's messages are dropped, since they quote the input.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }

    /// The Verification Token: `header.token` in schema 2.0, `token` before.
    pub fn token(&self) -> Option<&str> {
        self.header
            .as_ref()
            .and_then(|h| h.token.as_deref())
            .or(self.token.as_deref())
    }

    pub fn is_challenge(&self) -> bool {
        self.kind.as_deref() == Some("url_verification")
    }

    /// When Lark made the event, in milliseconds: `header.create_time` (milliseconds, a string)
    /// in schema 2.0, `ts` (seconds, a string with a fraction) before.
    pub fn created_ms(&self) -> Option<f64> {
        if let Some(header) = &self.header {
            return number(header.create_time.as_ref()?);
        }
        number(self.ts.as_ref()?).map(|seconds| seconds * 1000.0)
    }
}

fn number(value: &Scalar) -> Option<f64> {
    let n = match value {
        Scalar::Number(n) => *n,
        Scalar::Text(text) if text.len() <= 32 => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A verified event, without the Verification Token.
#[derive(Debug, PartialEq)]
pub struct Event {
    pub event_id: String,
    pub event_type: String,
    pub create_time_ms: Option<f64>,
    pub app_id: Option<String>,
    pub tenant_key: Option<String>,
    pub schema: Option<String>,
    /// The `event` object as it came.
    pub event: Value,
    pub body: Body,
}

#[derive(Debug, PartialEq)]
pub enum Body {
    RecordChanged(RecordChanged),
    FieldChanged {
        file_token: String,
        table_id: String,
    },
    AppTicket {
        app_id: String,
        app_ticket: String,
    },
    Other,
}

impl Event {
    /// The event in `raw`, or `None` when it lacks an ID and a type, or a Lark Base or app_ticket
    /// event is not of its documented shape.
    pub fn from_raw(raw: Raw) -> Option<Self> {
        let created = raw.created_ms();
        let event_text = raw.event.as_ref().map_or("null", |e| e.get());
        let event: Value = serde_json::from_str(event_text).ok()?;
        let (event_id, event_type, app_id, tenant_key) = match raw.header {
            Some(header) => (
                header.event_id?,
                header.event_type?,
                header.app_id,
                header.tenant_key,
            ),
            // The older schema: its `uuid` is the event's ID and `event.type` its type.
            None => (
                raw.uuid?,
                event.get("type").and_then(Value::as_str)?.to_owned(),
                event
                    .get("app_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                event
                    .get("tenant_key")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ),
        };
        if !is_id(&event_id) || event_type.is_empty() || event_type.len() > MAX_ID_CHARS {
            return None;
        }
        let body = match event_type.as_str() {
            RECORD_CHANGED => Body::RecordChanged(serde_json::from_str(event_text).ok()?),
            FIELD_CHANGED => {
                let table: TableRef = serde_json::from_str(event_text).ok()?;
                Body::FieldChanged {
                    file_token: table.file_token,
                    table_id: table.table_id,
                }
            }
            APP_TICKET => {
                let ticket: Ticket = serde_json::from_str(event_text).ok()?;
                if !is_id(&ticket.app_id) || !is_id(&ticket.app_ticket) {
                    return None;
                }
                Body::AppTicket {
                    app_id: ticket.app_id,
                    app_ticket: ticket.app_ticket,
                }
            }
            _ => Body::Other,
        };
        Some(Self {
            event_id,
            event_type,
            create_time_ms: created,
            app_id,
            tenant_key,
            schema: raw.schema,
            event,
            body,
        })
    }
}

/// Visible ASCII, as Lark's IDs, tokens and tickets are.
pub fn is_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_ID_CHARS && text.bytes().all(|b| b.is_ascii_graphic())
}

#[derive(Deserialize)]
struct TableRef {
    file_token: String,
    table_id: String,
}

#[derive(Deserialize)]
struct Ticket {
    app_id: String,
    app_ticket: String,
}

/// `drive.file.bitable_record_changed_v1`'s `event`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RecordChanged {
    pub file_token: String,
    pub table_id: String,
    #[serde(default)]
    pub operator_id: Option<UserId>,
    /// Unix seconds.
    #[serde(default)]
    pub update_time: Option<f64>,
    #[serde(default)]
    pub action_list: Option<Vec<RecordAction>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RecordAction {
    pub record_id: String,
    /// `record_added`, `record_edited` or `record_deleted`.
    pub action: String,
    #[serde(default)]
    pub before_value: Option<Vec<FieldValue>>,
    #[serde(default)]
    pub after_value: Option<Vec<FieldValue>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FieldValue {
    pub field_id: String,
    /// The cell, JSON-encoded, in the form Lark reads records out in.
    #[serde(default)]
    pub field_value: Option<String>,
    /// Person cells: who they are.
    #[serde(default)]
    pub field_identity_value: Option<Identity>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Identity {
    #[serde(default)]
    pub users: Option<Vec<IdentityUser>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct IdentityUser {
    #[serde(default)]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub en_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct UserId {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub union_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}
