//! One request to the Request URL, end to end: the verdict on it, whether its event was handled
//! before, and for a record change the items (columns read when needed, records read back when
//! asked). What comes out says how to answer Lark and what, if anything, starts an execution.

use super::columns::{self, Columns};
use super::delivery::{judge, Delivery, Keys, Verdict};
use super::event::{Body, Event};
use super::record::{self, Filter, Shape};
use super::seen::{self, Seen, State};
use crate::base::answer::FieldInfo;
use crate::base::error::BaseError;
use crate::base::flow::{Base, Settings, Shared, TokenSource};
use crate::base::ops::ErrorOut;
use crate::base::plan::RawRow;
use crate::base::value::Value;
use crate::http::Platform;
use serde::Serialize;
use std::cell::RefCell;

/// Lark waits a few seconds for an answer: the calls made before answering get this long, and
/// fail (to be retried by Lark later) rather than make it wait longer.
pub const CALL_TIMEOUT_MS: u32 = 2_000;
pub const CALL_DEADLINE_MS: u32 = 2_500;

/// What the module keeps between requests.
#[derive(Default)]
pub struct EventState {
    pub seen: RefCell<Seen>,
    pub columns: RefCell<Columns>,
}

/// What the trigger passes on, and how.
#[derive(Clone, Debug)]
pub struct Wanted {
    /// Every verified event as one item, instead of record items.
    pub any_event: bool,
    pub filter: Filter,
    pub shape: Shape,
    /// Read added and edited records back, for all their cells.
    pub full_record: bool,
    /// Start an execution with each app_ticket too (queue mode: the worker that runs it can then
    /// hand the ticket to a token call, see the README).
    pub pass_tickets: bool,
}

/// The request, as the trigger hands it over.
pub struct Request<'a> {
    pub delivery: Delivery<'a>,
    pub keys: &'a Keys,
    /// This trigger node, for the process's memory of events (workflow ID and node name).
    pub scope: &'a str,
    /// The event IDs in the node's static data.
    pub static_seen: Vec<String>,
    /// The credential's app: the only app whose app_ticket this trigger takes.
    pub app_id: &'a str,
    pub wanted: &'a Wanted,
}

/// Where Lark Base calls go, and with which token.
pub struct Lark<'a, P: Platform, T: TokenSource> {
    pub platform: &'a P,
    pub tokens: &'a T,
    pub base_url: &'a str,
    /// The pace of the app's requests and the tables' turns, shared with the Larkbase node's calls.
    pub shared: &'a Shared,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Handled {
    /// The HTTP status to answer with, and the JSON body.
    pub status: u16,
    pub answer: Answer,
    pub kind: &'static str,
    /// The static data's event IDs, when they changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketOut>,
    /// The execution's items; none: no execution.
    pub items: Vec<Out>,
    /// Handling failed for good: the trigger reports it as a failed execution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketOut {
    pub app_id: String,
    pub app_ticket: String,
}

/// The answer's JSON body: Lark's challenge echoed, or a code and a fixed message that says
/// nothing about which check failed.
#[derive(Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Challenge { challenge: String },
    Status { code: u16, msg: &'static str },
}

/// One item of the execution: a record change, or an event as it came.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Out {
    Record(Box<record::Item>),
    Event(Value),
}

fn answer(status: u16, kind: &'static str) -> Handled {
    let msg = match status {
        200 => "success",
        401 => "unauthorized",
        413 => "payload too large",
        500 => "not handled, try again later",
        _ => "bad request",
    };
    let code = if status == 200 { 0 } else { status };
    Handled {
        status,
        answer: Answer::Status { code, msg },
        kind,
        seen: None,
        ticket: None,
        items: Vec::new(),
        error: None,
    }
}

pub async fn handle<P: Platform, T: TokenSource>(
    state: &EventState,
    lark: &Lark<'_, P, T>,
    request: Request<'_>,
) -> Handled {
    let event = match judge(&request.delivery, request.keys) {
        Verdict::Challenge(challenge) => {
            let mut out = answer(200, "challenge");
            out.answer = Answer::Challenge { challenge };
            return out;
        }
        Verdict::Refused => return answer(401, "refused"),
        Verdict::TooLarge => return answer(413, "tooLarge"),
        Verdict::Malformed => return answer(400, "malformed"),
        Verdict::Event(event) => event,
    };
    // Signed with this app's keys but naming another app: kept, it would replace that app's
    // ticket, and its token calls would fail until Lark's next push.
    if matches!(&event.body, Body::AppTicket { app_id, .. } if app_id != request.app_id.trim()) {
        return answer(401, "refused");
    }
    let id = event.event_id.clone();
    let mut static_seen = request.static_seen;
    let state_now = state.seen.borrow().state(request.scope, &id);
    match state_now {
        State::InFlight => return answer(500, "busy"),
        State::Done => return answer(200, "duplicate"),
        State::New if static_seen.contains(&id) => return answer(200, "duplicate"),
        State::New => {}
    }
    state.seen.borrow_mut().start(request.scope, &id);
    let outcome = outcome(state, lark, &event, request.wanted, request.delivery.now_ms).await;
    let mut out = match outcome {
        Err(error) if error.is_retryable() => {
            state.seen.borrow_mut().abandon(request.scope, &id);
            return answer(500, "retryLater");
        }
        Err(error) => Handled {
            error: Some(ErrorOut::from(&error)),
            ..answer(500, "failed")
        },
        Ok(out) => out,
    };
    state.seen.borrow_mut().finish(request.scope, &id);
    if seen::remember(&mut static_seen, &id) {
        out.seen = Some(static_seen);
    }
    out
}

async fn outcome<P: Platform, T: TokenSource>(
    state: &EventState,
    lark: &Lark<'_, P, T>,
    event: &Event,
    wanted: &Wanted,
    now_ms: f64,
) -> Result<Handled, BaseError> {
    match &event.body {
        Body::AppTicket { app_id, app_ticket } => {
            let items = if wanted.pass_tickets {
                vec![Out::Event(Value::Object(vec![
                    ("event_id".into(), Value::text(event.event_id.clone())),
                    ("event_type".into(), Value::text(event.event_type.clone())),
                    ("app_id".into(), Value::text(app_id.clone())),
                    ("app_ticket".into(), Value::text(app_ticket.clone())),
                ]))]
            } else {
                Vec::new()
            };
            return Ok(Handled {
                ticket: Some(TicketOut {
                    app_id: app_id.clone(),
                    app_ticket: app_ticket.clone(),
                }),
                items,
                ..answer(200, "appTicket")
            });
        }
        Body::FieldChanged {
            file_token,
            table_id,
        } => {
            let key = columns::key(lark.base_url, file_token, table_id);
            state.columns.borrow_mut().forget(&key);
        }
        _ => {}
    }
    if wanted.any_event {
        return Ok(Handled {
            items: vec![Out::Event(any_event_item(event))],
            ..answer(200, "event")
        });
    }
    let Body::RecordChanged(change) = &event.body else {
        return Ok(answer(200, "ignored"));
    };
    if !record::concerns(change, &wanted.filter) {
        return Ok(answer(200, "ignored"));
    }
    let actions = record::kept(change, &wanted.filter);
    if actions.is_empty() {
        return Ok(answer(200, "ignored"));
    }
    let settings = Settings {
        base_url: lark.base_url.to_owned(),
        app_token: change.file_token.clone(),
        timeout_ms: CALL_TIMEOUT_MS,
        deadline_ms: CALL_DEADLINE_MS,
        max_attempts: 2,
        simplify: wanted.shape.simplify,
        stop_on_error: false,
        client_token: None,
    };
    let base = Base::new(lark.platform, lark.tokens, lark.shared, &settings);
    let key = columns::key(lark.base_url, &change.file_token, &change.table_id);
    let cached = state.columns.borrow().get(&key, now_ms);
    let mut columns = match cached {
        Some(columns) => columns,
        None => read_columns(state, &base, &key, &change.table_id, now_ms).await?,
    };
    if !record::unknown_fields(&actions, &columns).is_empty() {
        columns = read_columns(state, &base, &key, &change.table_id, now_ms).await?;
    }
    let mut items = record::items(&event.event_id, change, &actions, &columns, wanted.shape);
    if wanted.full_record {
        full_records(&base, &change.table_id, &mut items).await?;
    }
    Ok(Handled {
        items: items
            .into_iter()
            .map(|item| Out::Record(Box::new(item)))
            .collect(),
        ..answer(200, "records")
    })
}

async fn read_columns<P: Platform, T: TokenSource>(
    state: &EventState,
    base: &Base<'_, P, T>,
    key: &str,
    table_id: &str,
    now_ms: f64,
) -> Result<Vec<FieldInfo>, BaseError> {
    let columns = base.list_fields(table_id).await?;
    state.columns.borrow_mut().put(key, now_ms, columns.clone());
    Ok(columns)
}

/// Added and edited records read back whole (events carry only the cells that changed), 100 per
/// request; a record that is gone by now keeps the event's cells.
async fn full_records<P: Platform, T: TokenSource>(
    base: &Base<'_, P, T>,
    table_id: &str,
    items: &mut [record::Item],
) -> Result<(), BaseError> {
    let wanted: Vec<RawRow> = items
        .iter()
        .filter(|i| i.action != record::Action::Deleted)
        .enumerate()
        .map(|(n, i)| RawRow {
            item: Some(n as u32),
            record_id: Some(i.record_id.clone()),
            fields: Value::Null,
            too_large: Vec::new(),
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let results = base.get(table_id, wanted).await?;
    for result in results {
        let record = match result.outcome {
            Ok((_, record)) => record,
            // Lark answered for this record (it is gone): the event's cells stand.
            Err(e) if !e.is_retryable() => continue,
            Err(e) => return Err(e),
        };
        // The cells as the Larkbase node gives them (text the module wrote itself, so it reads).
        let Ok(fields) = serde_json::from_str::<Value>(record.fields.get()) else {
            continue;
        };
        for item in items.iter_mut().filter(|i| i.record_id == record.record_id) {
            item.fields = fields.clone();
        }
    }
    Ok(())
}

/// An event as one item, without its Verification Token.
pub fn any_event_item(event: &Event) -> Value {
    let text = |t: &Option<String>| t.clone().map_or(Value::Null, Value::Text);
    Value::Object(vec![
        ("event_id".into(), Value::text(event.event_id.clone())),
        ("event_type".into(), Value::text(event.event_type.clone())),
        (
            "create_time".into(),
            event.create_time_ms.map_or(Value::Null, Value::Number),
        ),
        ("app_id".into(), text(&event.app_id)),
        ("tenant_key".into(), text(&event.tenant_key)),
        ("schema".into(), text(&event.schema)),
        ("event".into(), event.event.clone()),
    ])
}
