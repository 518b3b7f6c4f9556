//! The trigger's core against Lark-shaped deliveries and a fake Lark Base: verification, events,
//! items, the memory of events, polling positions, and property tests on arbitrary input.

use super::crypto::tests::{encrypt, sign};
use super::crypto::EncryptKey;
use super::delivery::{judge, Delivery, Keys, Verdict, MAX_BODY_BYTES};
use super::event::Body;
use super::handle::{handle, EventState, Lark, Request, Wanted};
use super::poll::{self, Mode, Position};
use super::record::{Action, Filter, Shape};
use crate::base::answer::{self, FieldInfo};
use crate::base::error::{BaseError, BaseErrorCode};
use crate::base::flow::{Base, Settings, Shared, TokenSource};
use crate::error::TokenError;
use crate::http::{HttpAnswer, Malformed, Platform, Request as HttpRequest};
use futures::executor::block_on;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value as Json};
use std::cell::{Cell, RefCell};

const KEY: &str = "encrypt-key-for-tests-0001";
const TOKEN: &str = "verification-token-0001";
const NOW_MS: f64 = 1_800_000_000_000.0;

fn keys(encrypt: bool, token: bool) -> Keys {
    Keys {
        encrypt_key: encrypt.then(|| EncryptKey::new(KEY)),
        verification_token: token.then(|| TOKEN.to_owned()),
        max_age_s: 300,
    }
}

fn event_json(event_type: &str, event: Json, token: &str, created_ms: f64) -> Json {
    json!({
        "schema": "2.0",
        "header": { "event_id": "ev-1", "event_type": event_type, "create_time": (created_ms as i64).to_string(),
                    "token": token, "app_id": "cli_a", "tenant_key": "tk" },
        "event": event,
    })
}

/// A body as Lark sends it with an Encrypt Key, and its headers.
struct Sealed {
    body: Vec<u8>,
    timestamp: String,
    nonce: String,
    signature: String,
}

fn seal(plain: &Json, key: &str, at_ms: f64) -> Sealed {
    let body = json!({ "encrypt": encrypt(key, [9; 16], plain.to_string().as_bytes()) })
        .to_string()
        .into_bytes();
    let timestamp = ((at_ms / 1000.0) as i64).to_string();
    let nonce = "nonce-1".to_owned();
    let signature = sign(&timestamp, &nonce, key, &body);
    Sealed {
        body,
        timestamp,
        nonce,
        signature,
    }
}

fn delivery(sealed: &Sealed) -> Delivery<'_> {
    Delivery {
        body: &sealed.body,
        timestamp: Some(&sealed.timestamp),
        nonce: Some(&sealed.nonce),
        signature: Some(&sealed.signature),
        now_ms: NOW_MS,
    }
}

fn plain(body: &[u8]) -> Delivery<'_> {
    Delivery {
        body,
        timestamp: None,
        nonce: None,
        signature: None,
        now_ms: NOW_MS,
    }
}

#[test]
fn the_challenge_plain_and_encrypted() {
    let challenge = json!({ "challenge": "ch-123", "token": TOKEN, "type": "url_verification" });
    let body = challenge.to_string();
    assert_eq!(
        judge(&plain(body.as_bytes()), &keys(false, true)),
        Verdict::Challenge("ch-123".into())
    );
    // Encrypted, signed or not: decrypting it with the key and finding the token is enough.
    let sealed = seal(&challenge, KEY, NOW_MS);
    assert_eq!(
        judge(&delivery(&sealed), &keys(true, true)),
        Verdict::Challenge("ch-123".into())
    );
    assert_eq!(
        judge(&plain(&sealed.body), &keys(true, true)),
        Verdict::Challenge("ch-123".into())
    );
    // The wrong token, or no key to open it with: refused.
    let wrong =
        json!({ "challenge": "c", "token": "nope", "type": "url_verification" }).to_string();
    assert_eq!(
        judge(&plain(wrong.as_bytes()), &keys(false, true)),
        Verdict::Refused
    );
    assert_eq!(
        judge(&plain(&sealed.body), &keys(false, true)),
        Verdict::Refused
    );
    assert_eq!(
        judge(
            &plain(&sealed.body),
            &Keys {
                encrypt_key: Some(EncryptKey::new("other")),
                ..keys(true, true)
            }
        ),
        Verdict::Refused
    );
    // With an Encrypt Key, an unsigned body larger than a challenge is refused unread, even one
    // that is a challenge; without a key, bodies are unsigned and read.
    let padded = json!({ "challenge": "ch-123", "token": TOKEN, "type": "url_verification",
        "pad": "x".repeat(20_000) });
    let sealed = seal(&padded, KEY, NOW_MS);
    assert_eq!(
        judge(&plain(&sealed.body), &keys(true, true)),
        Verdict::Refused
    );
    assert_eq!(
        judge(&delivery(&sealed), &keys(true, true)),
        Verdict::Challenge("ch-123".into())
    );
    assert_eq!(
        judge(&plain(padded.to_string().as_bytes()), &keys(false, true)),
        Verdict::Challenge("ch-123".into())
    );
}

#[test]
fn signed_events_are_checked_for_signature_time_and_token() {
    let event = event_json("im.message.receive_v1", json!({"x": 1}), TOKEN, NOW_MS);
    let sealed = seal(&event, KEY, NOW_MS);
    let Verdict::Event(got) = judge(&delivery(&sealed), &keys(true, true)) else {
        panic!("accepted")
    };
    assert_eq!(
        (got.event_id.as_str(), got.event_type.as_str()),
        ("ev-1", "im.message.receive_v1")
    );
    assert_eq!(got.body, Body::Other);
    // Without the Verification Token configured, the signature alone authenticates.
    assert!(matches!(
        judge(&delivery(&sealed), &keys(true, false)),
        Verdict::Event(_)
    ));

    let mut bad_signature = seal(&event, KEY, NOW_MS);
    bad_signature.signature = sign(
        &bad_signature.timestamp,
        "other-nonce",
        KEY,
        &bad_signature.body,
    );
    let stale = seal(&event, KEY, NOW_MS - 301_000.0);
    let future = seal(&event, KEY, NOW_MS + 301_000.0);
    let bad_token = seal(
        &event_json("x", json!({}), "wrong-token", NOW_MS),
        KEY,
        NOW_MS,
    );
    for refused in [&bad_signature, &stale, &future, &bad_token] {
        assert_eq!(
            judge(&delivery(refused), &keys(true, true)),
            Verdict::Refused
        );
    }
    // An event without a signature, when the app has an Encrypt Key: refused.
    assert_eq!(
        judge(&plain(&sealed.body), &keys(true, true)),
        Verdict::Refused
    );
    // A signature over garbage: authentic but not an event.
    let garbage = b"not json at all".to_vec();
    let signature = sign(&sealed.timestamp, &sealed.nonce, KEY, &garbage);
    let signed_garbage = Sealed {
        body: garbage,
        signature,
        ..seal(&event, KEY, NOW_MS)
    };
    assert_eq!(
        judge(&delivery(&signed_garbage), &keys(true, true)),
        Verdict::Malformed
    );
}

#[test]
fn plain_events_are_checked_for_token_and_creation_time() {
    let fresh = event_json("x", json!({}), TOKEN, NOW_MS - 1000.0).to_string();
    assert!(matches!(
        judge(&plain(fresh.as_bytes()), &keys(false, true)),
        Verdict::Event(_)
    ));
    let stale = event_json("x", json!({}), TOKEN, NOW_MS - 400_000.0).to_string();
    assert_eq!(
        judge(&plain(stale.as_bytes()), &keys(false, true)),
        Verdict::Refused
    );
    // Nothing to check with: refused.
    assert_eq!(
        judge(&plain(fresh.as_bytes()), &keys(false, false)),
        Verdict::Refused
    );
    assert_eq!(
        judge(&plain(b"[1,2"), &keys(false, true)),
        Verdict::Malformed
    );
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(judge(&plain(&huge), &keys(false, true)), Verdict::TooLarge);
    // Deep nesting stops at serde_json's recursion limit, without a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        judge(&plain(deep.as_bytes()), &keys(false, true)),
        Verdict::Malformed
    );
}

#[test]
fn app_tickets_in_the_older_schema() {
    let ticket = json!({ "uuid": "u-1", "token": TOKEN, "ts": format!("{}.123", (NOW_MS / 1000.0) as i64),
        "type": "event_callback", "event": { "app_id": "cli_store", "app_ticket": "tk-1", "type": "app_ticket" } });
    let sealed = seal(&ticket, KEY, NOW_MS);
    let Verdict::Event(event) = judge(&delivery(&sealed), &keys(true, true)) else {
        panic!("accepted")
    };
    assert_eq!(event.event_id, "u-1");
    assert_eq!(
        event.body,
        Body::AppTicket {
            app_id: "cli_store".into(),
            app_ticket: "tk-1".into()
        }
    );
}

/// A fake Lark Base for the trigger: one table with the columns below, search newest first by a
/// column with page tokens and Lark's total, batch_get, fields, and subscribe; faults scripted.
#[derive(Default)]
struct FakeLark {
    records: RefCell<Vec<(String, Json)>>,
    sent: RefCell<Vec<String>>,
    /// Per request number (0-based): an error instead of the answer.
    fail_at: RefCell<Vec<(usize, TokenError)>>,
    /// After this many searches, delete the newest record (a deletion while paging).
    delete_after_search: Cell<Option<usize>>,
    extra_field: Cell<bool>,
}

fn columns_json(extra: bool) -> Json {
    let mut items = vec![
        json!({"field_id": "fldName", "field_name": "Name", "type": 1, "is_primary": true}),
        json!({"field_id": "fldStatus", "field_name": "Status", "type": 3,
               "property": {"options": [{"id": "optTodo", "name": "Todo"}, {"id": "optDone", "name": "Done"}]}}),
        json!({"field_id": "fldOwner", "field_name": "Owner", "type": 11}),
        json!({"field_id": "fldCreated", "field_name": "Created", "type": 1001}),
        json!({"field_id": "fldModified", "field_name": "Modified", "type": 1002}),
    ];
    if extra {
        items.push(json!({"field_id": "fldNew", "field_name": "Added Later", "type": 2}));
    }
    json!(items)
}

impl FakeLark {
    fn add(&self, id: &str, modified: i64) {
        self.records.borrow_mut().push((
            id.to_owned(),
            json!({ "Name": [{"type": "text", "text": format!("Name {id}")}], "Modified": modified, "Created": modified }),
        ));
    }

    fn answer(&self, url: &str, body: Option<Json>) -> Json {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        };
        let ok = |data: Json| json!({ "code": 0, "msg": "success", "data": data });
        if path.contains("/subscribe") {
            return json!({ "code": 0, "msg": "success" });
        }
        if path.ends_with("/fields") {
            return ok(json!({ "items": columns_json(self.extra_field.get()), "has_more": false }));
        }
        if path.ends_with("/batch_get") {
            let body = body.unwrap();
            let records = self.records.borrow();
            let found: Vec<Json> = body["record_ids"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|id| records.iter().find(|(r, _)| r == id.as_str().unwrap()))
                .map(|(id, fields)| json!({"record_id": id, "fields": fields}))
                .collect();
            return ok(json!({ "records": found }));
        }
        assert!(path.ends_with("/search"), "{path}");
        let searches = self
            .sent
            .borrow()
            .iter()
            .filter(|u| u.contains("/search"))
            .count();
        let column = body.unwrap()["sort"][0]["field_name"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut sorted: Vec<(String, Json)> = self.records.borrow().clone();
        sorted.sort_by_key(|(_, f)| std::cmp::Reverse(f[&column].as_i64().unwrap()));
        let size: usize = param("page_size").unwrap().parse().unwrap();
        let offset: usize = param("page_token").map_or(0, |t| t.parse().unwrap());
        let page: Vec<Json> = sorted
            .iter()
            .skip(offset)
            .take(size)
            .map(|(id, f)| json!({"record_id": id, "fields": f}))
            .collect();
        let more = offset + size < sorted.len();
        let total = sorted.len();
        if self.delete_after_search.get() == Some(searches) {
            let newest = sorted[0].0.clone();
            self.records.borrow_mut().retain(|(id, _)| *id != newest);
        }
        ok(
            json!({ "items": page, "has_more": more, "page_token": if more { (offset + size).to_string() } else { String::new() }, "total": total }),
        )
    }
}

impl Platform for FakeLark {
    async fn send<B: Serialize>(
        &self,
        request: &HttpRequest<B>,
        _timeout_ms: u32,
    ) -> Result<HttpAnswer, TokenError> {
        let n = self.sent.borrow().len();
        self.sent.borrow_mut().push(request.url.clone());
        if let Some(at) = self.fail_at.borrow().iter().position(|(k, _)| *k == n) {
            return Err(self.fail_at.borrow()[at].1.clone());
        }
        let body = request.body.as_ref().map(crate::http::Payload::sent);
        Ok(HttpAnswer {
            status: 200,
            body: self.answer(&request.url, body).to_string(),
            ..HttpAnswer::default()
        })
    }

    fn decode<T: DeserializeOwned>(&self, body: &str, max_values: usize) -> Result<T, Malformed> {
        crate::http::decode_json(body, max_values)
    }

    async fn sleep(&self, _ms: u32) {}

    fn now_ms(&self) -> f64 {
        NOW_MS
    }

    fn random(&self) -> f64 {
        0.5
    }
}

struct Tok;

impl TokenSource for Tok {
    async fn token(&self, _renew: bool, _within_ms: u32) -> Result<String, BaseError> {
        Ok("t-test".into())
    }
    fn can_renew(&self) -> bool {
        false
    }
    fn app(&self) -> &str {
        "cli_test"
    }
}

fn record_event(actions: Json) -> Json {
    event_json(
        "drive.file.bitable_record_changed_v1",
        json!({ "file_token": "bascnA", "file_type": "bitable", "table_id": "tblA", "revision": 3,
                "operator_id": {"open_id": "ou_op"}, "update_time": 1_800_000_000, "action_list": actions }),
        TOKEN,
        NOW_MS,
    )
}

fn wanted() -> Wanted {
    Wanted {
        any_event: false,
        filter: Filter {
            app_token: Some("bascnA".into()),
            table_id: Some("tblA".into()),
            actions: vec![],
        },
        shape: Shape {
            simplify: true,
            before: true,
        },
        full_record: false,
        pass_tickets: false,
    }
}

fn run(
    lark: &FakeLark,
    state: &EventState,
    sealed: &Sealed,
    seen: Vec<String>,
    wanted: &Wanted,
) -> super::handle::Handled {
    let keys = keys(true, true);
    let request = Request {
        delivery: delivery(sealed),
        keys: &keys,
        scope: "wf1 Trigger",
        static_seen: seen,
        app_id: "cli_store",
        wanted,
    };
    block_on(handle(
        state,
        &Lark {
            platform: lark,
            tokens: &Tok,
            base_url: "https://lark.test",
            shared: &Shared::default(),
        },
        request,
    ))
}

fn cell(field: &str, value: Json) -> Json {
    json!({ "field_id": field, "field_value": value.to_string() })
}

#[test]
fn record_changes_become_items_with_column_names_and_plain_values() {
    let lark = FakeLark::default();
    let state = EventState::default();
    let event = record_event(json!([
        { "record_id": "recA", "action": "record_added",
          "after_value": [cell("fldName", json!([{"type": "text", "text": "Nguyễn Văn A"}])), cell("fldStatus", json!("optDone"))] },
        { "record_id": "recB", "action": "record_edited",
          "before_value": [cell("fldStatus", json!("Todo"))], "after_value": [cell("fldStatus", json!("Done")),
            json!({ "field_id": "fldOwner", "field_value": "[{\"id\":\"ou_x\"}]",
                    "field_identity_value": {"users": [{"user_id": {"open_id": "ou_x"}, "name": "Bình"}]} })] },
        { "record_id": "recC", "action": "record_deleted", "before_value": [cell("fldName", json!([{"type":"text","text":"gone"}]))] },
    ]));
    let out = run(&lark, &state, &seal(&event, KEY, NOW_MS), vec![], &wanted());
    assert_eq!((out.status, out.kind), (200, "records"));
    let items = serde_json::to_value(&out.items).unwrap();
    assert_eq!(items[0]["action"], "added");
    assert_eq!(
        items[0]["fields"],
        json!({ "Name": "Nguyễn Văn A", "Status": "Done" })
    );
    assert_eq!(items[0]["base"], "bascnA");
    assert_eq!(items[0]["update_time"], 1_800_000_000_000i64);
    assert_eq!(
        items[1]["fields"],
        json!({ "Status": "Done", "Owner": [{"id": "ou_x", "name": "Bình"}] })
    );
    assert_eq!(items[1]["before"], json!({ "Status": "Todo" }));
    assert_eq!(items[1]["changed_fields"], json!(["Status", "Owner"]));
    assert_eq!(
        items[2],
        json!({ "action": "deleted", "record_id": "recC", "table_id": "tblA", "base": "bascnA",
        "fields": {"Name": "gone"}, "operator_id": {"open_id": "ou_op"}, "update_time": 1_800_000_000_000i64, "event_id": "ev-1" })
    );
    assert_eq!(out.seen, Some(vec!["ev-1".to_owned()]));
    assert_eq!(lark.sent.borrow().len(), 1, "one request: the columns");
    let text = serde_json::to_string(&out).unwrap();
    assert!(
        !text.contains(TOKEN) && !text.contains(KEY),
        "no secret in the outcome"
    );

    // The same event again: answered, no items, nothing sent; also when only the static data knows it.
    let again = run(&lark, &state, &seal(&event, KEY, NOW_MS), vec![], &wanted());
    assert_eq!(
        (again.status, again.kind, again.items.len()),
        (200, "duplicate", 0)
    );
    let restarted = run(
        &lark,
        &EventState::default(),
        &seal(&event, KEY, NOW_MS),
        vec!["ev-1".into()],
        &wanted(),
    );
    assert_eq!((restarted.status, restarted.kind), (200, "duplicate"));
    assert_eq!(lark.sent.borrow().len(), 1);
}

#[test]
fn filters_unknown_columns_full_records_and_failures() {
    let lark = FakeLark::default();
    lark.add("recA", 1);
    let state = EventState::default();
    // Another table: ignored, nothing read.
    let mut other =
        record_event(json!([{ "record_id": "recA", "action": "record_added", "after_value": [] }]));
    other["event"]["table_id"] = json!("tblOther");
    assert_eq!(
        run(&lark, &state, &seal(&other, KEY, NOW_MS), vec![], &wanted()).kind,
        "ignored"
    );
    // Only deletions wanted: an addition is ignored.
    let mut only_deleted = wanted();
    only_deleted.filter.actions = vec![Action::Deleted];
    let added = |id: &str| {
        let mut e = record_event(json!([{ "record_id": "recA", "action": "record_added",
            "after_value": [cell("fldNew", json!(42))] }]));
        e["header"]["event_id"] = json!(id);
        e
    };
    assert_eq!(
        run(
            &lark,
            &state,
            &seal(&added("ev-2"), KEY, NOW_MS),
            vec![],
            &only_deleted
        )
        .kind,
        "ignored"
    );
    // A column the cached list lacks: the columns are read again.
    let out = run(
        &lark,
        &state,
        &seal(&added("ev-3"), KEY, NOW_MS),
        vec![],
        &wanted(),
    );
    assert_eq!(
        serde_json::to_value(&out.items).unwrap()[0]["fields"],
        json!({ "fldNew": 42 })
    );
    lark.extra_field.set(true);
    let out = run(
        &lark,
        &state,
        &seal(&added("ev-4"), KEY, NOW_MS),
        vec![],
        &wanted(),
    );
    assert_eq!(
        serde_json::to_value(&out.items).unwrap()[0]["fields"],
        json!({ "Added Later": 42 })
    );
    // Fetch Full Record: the record as batch_get reads it, text plain.
    let mut full = wanted();
    full.full_record = true;
    let out = run(
        &lark,
        &state,
        &seal(&added("ev-5"), KEY, NOW_MS),
        vec![],
        &full,
    );
    assert_eq!(
        serde_json::to_value(&out.items).unwrap()[0]["fields"],
        json!({ "Name": "Name recA", "Modified": 1, "Created": 1 })
    );
    assert!(lark.sent.borrow().last().unwrap().ends_with("/batch_get"));
    // A failure a retry may cure: 500, not remembered; the retry is handled.
    let sent = lark.sent.borrow().len();
    lark.fail_at
        .borrow_mut()
        .push((sent, TokenError::network("lark.test", "ECONNRESET")));
    lark.fail_at
        .borrow_mut()
        .push((sent + 1, TokenError::network("lark.test", "ECONNRESET")));
    let out = run(
        &lark,
        &state,
        &seal(&added("ev-6"), KEY, NOW_MS),
        vec![],
        &full,
    );
    assert_eq!(
        (out.status, out.kind, out.seen.clone()),
        (500, "retryLater", None)
    );
    let out = run(
        &lark,
        &state,
        &seal(&added("ev-6"), KEY, NOW_MS),
        vec![],
        &full,
    );
    assert_eq!((out.status, out.kind), (200, "records"));
}

#[test]
fn app_tickets_and_any_event() {
    let lark = FakeLark::default();
    let state = EventState::default();
    let ticket = json!({ "uuid": "u-9", "token": TOKEN, "ts": format!("{}", (NOW_MS / 1000.0) as i64),
        "type": "event_callback", "event": { "app_id": "cli_store", "app_ticket": "tk-9", "type": "app_ticket" } });
    let out = run(
        &lark,
        &state,
        &seal(&ticket, KEY, NOW_MS),
        vec![],
        &wanted(),
    );
    assert_eq!(
        (out.status, out.kind, out.items.len()),
        (200, "appTicket", 0)
    );
    assert_eq!(
        out.ticket.as_ref().map(|t| t.app_ticket.as_str()),
        Some("tk-9")
    );
    // Another app's ticket, though signed with this app's keys, is refused and not kept.
    let mut other = ticket.clone();
    other["uuid"] = json!("u-10");
    other["event"]["app_id"] = json!("cli_victim");
    let out = run(&lark, &state, &seal(&other, KEY, NOW_MS), vec![], &wanted());
    assert_eq!((out.status, out.kind), (401, "refused"));
    assert!(out.ticket.is_none() && out.seen.is_none());
    let mut any = wanted();
    any.any_event = true;
    let message = event_json(
        "im.message.receive_v1",
        json!({ "message": {"text": "hi"} }),
        TOKEN,
        NOW_MS,
    );
    let out = run(&lark, &state, &seal(&message, KEY, NOW_MS), vec![], &any);
    let item = serde_json::to_value(&out.items[0]).unwrap();
    assert_eq!(item["event_type"], "im.message.receive_v1");
    assert_eq!(item["event"]["message"]["text"], "hi");
    assert!(!item.to_string().contains(TOKEN));
    assert_eq!(lark.sent.borrow().len(), 0);
}

fn settings() -> Settings {
    Settings {
        base_url: "https://lark.test".into(),
        app_token: "bascnA".into(),
        timeout_ms: 1000,
        deadline_ms: 5000,
        max_attempts: 1,
        simplify: true,
        stop_on_error: false,
        client_token: None,
    }
}

fn columns() -> Vec<FieldInfo> {
    let Json::Array(items) = columns_json(false) else {
        unreachable!()
    };
    items
        .into_iter()
        .map(|c| answer::field(serde_json::from_value(c).unwrap()).unwrap())
        .collect()
}

fn polled(
    lark: &FakeLark,
    position: Option<Position>,
    mode: Mode,
) -> Result<poll::PollOutput, BaseError> {
    let shared = Shared::default();
    let settings = settings();
    let base = Base::new(lark, &Tok, &shared, &settings);
    let columns = columns();
    block_on(poll::poll(
        &base, "tblA", &columns, "Modified", None, position, mode,
    ))
}

fn record_ids(out: &poll::PollOutput) -> Vec<String> {
    out.records.iter().map(|r| r.record_id.clone()).collect()
}

#[test]
fn polling_hands_out_each_record_once_across_ties_pages_and_failures() {
    let lark = FakeLark::default();
    for n in 0..10 {
        lark.add(&format!("recOld{n:04}"), 1000);
    }
    // The first poll hands out nothing and starts at the newest time, ties included.
    let first = polled(&lark, None, Mode::Scheduled).unwrap();
    assert!(first.records.is_empty());
    assert_eq!(
        (first.position.time, first.position.ids.len()),
        (1000.0, 10)
    );
    // 1,000 created and 300 of them changed, on few milliseconds: 3 pages newest first.
    for n in 0..1000 {
        lark.add(&format!("recNew{n:04}"), 1000 + (n / 400) as i64);
    }
    for n in 0..300 {
        let id = format!("recNew{n:04}");
        for (rid, fields) in lark.records.borrow_mut().iter_mut() {
            if *rid == id {
                fields["Modified"] = json!(2000);
            }
        }
    }
    // A poll that fails part way hands out nothing and leaves the position.
    let sent = lark.sent.borrow().len();
    lark.fail_at
        .borrow_mut()
        .push((sent + 1, TokenError::network("lark.test", "ECONNRESET")));
    assert!(polled(&lark, Some(first.position.clone()), Mode::Scheduled).is_err());
    let second = polled(&lark, Some(first.position.clone()), Mode::Scheduled).unwrap();
    assert_eq!(second.records.len(), 1000);
    let mut unique = record_ids(&second);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1000);
    assert_eq!(second.position.time, 2000.0);
    // The floor stays at the first poll's time (a minute below 2000 ms is below it), and every
    // record handed out at or above it is kept, with its time.
    assert_eq!(second.position.floor, 1000.0);
    assert_eq!(second.position.ids.len(), 1010);
    // Nothing new: nothing handed out, the 1,010 records down to the floor read again.
    let before = lark.sent.borrow().len();
    let third = polled(&lark, Some(second.position.clone()), Mode::Scheduled).unwrap();
    assert!(third.records.is_empty());
    assert_eq!(third.position, second.position);
    assert_eq!(lark.sent.borrow().len() - before, 3);
    // A record changed in the same millisecond as the position, later: handed out once.
    lark.add("recLate", 2000);
    let fourth = polled(&lark, Some(third.position.clone()), Mode::Scheduled).unwrap();
    assert_eq!(record_ids(&fourth), ["recLate"]);
    assert!(
        polled(&lark, Some(fourth.position.clone()), Mode::Scheduled)
            .unwrap()
            .records
            .is_empty()
    );
    // Fetch Test Event: the newest record, the position unchanged.
    let manual = polled(&lark, Some(fourth.position.clone()), Mode::Manual).unwrap();
    assert_eq!(manual.records.len(), 1);
    assert_eq!(manual.position, fourth.position);
}

#[test]
fn a_time_from_the_future_does_not_move_the_position() {
    let lark = FakeLark::default();
    lark.add("recBase", 1000);
    let start = polled(&lark, None, Mode::Scheduled).unwrap().position;
    // A time of year 33658, then a real change: the change is handed out, and the far time is
    // left for when it has come.
    lark.add("recFuture", 999_999_999_999_999);
    lark.add("recReal", 2000);
    let out = polled(&lark, Some(start), Mode::Scheduled).unwrap();
    assert_eq!(record_ids(&out), ["recReal"]);
    assert_eq!(out.position.time, 2000.0);
    lark.add("recNext", 3000);
    let next = polled(&lark, Some(out.position), Mode::Scheduled).unwrap();
    assert_eq!(record_ids(&next), ["recNext"]);
}

#[test]
fn a_deletion_while_paging_reads_again() {
    let lark = FakeLark::default();
    lark.add("recBase", 1);
    let start = polled(&lark, None, Mode::Scheduled).unwrap().position;
    for n in 0..700 {
        lark.add(&format!("rec{n:04}"), 10 + n as i64);
    }
    // The newest record is deleted after the first page is read: the count falls, the poll
    // reads again, and every remaining record is handed out.
    let searches_before = lark
        .sent
        .borrow()
        .iter()
        .filter(|u| u.contains("/search"))
        .count();
    lark.delete_after_search.set(Some(searches_before + 1));
    let out = polled(&lark, Some(start), Mode::Scheduled).unwrap();
    assert_eq!(out.records.len(), 699);
}

#[test]
fn polling_refuses_a_column_lark_does_not_fill() {
    let lark = FakeLark::default();
    let shared = Shared::default();
    let settings = settings();
    let base = Base::new(&lark, &Tok, &shared, &settings);
    let columns = columns();
    let e = block_on(poll::poll(
        &base,
        "tblA",
        &columns,
        "Name",
        None,
        None,
        Mode::Scheduled,
    ))
    .unwrap_err();
    assert_eq!(e.code, BaseErrorCode::InvalidParams);
    assert!(
        e.message.contains("Created time or Last modified time"),
        "{}",
        e.message
    );
    assert_eq!(poll::trigger_columns(&columns).len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever arrives, judging it ends with a verdict, never a panic; without the right key or
    /// token, never an event.
    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048),
                                    timestamp in proptest::option::of("[0-9]{0,12}"),
                                    nonce in proptest::option::of(".{0,16}"),
                                    signature in proptest::option::of("[0-9a-fA-F]{0,70}")) {
        let d = Delivery { body: &body, timestamp: timestamp.as_deref(), nonce: nonce.as_deref(),
            signature: signature.as_deref(), now_ms: NOW_MS };
        for k in [keys(true, true), keys(false, true), keys(true, false), keys(false, false)] {
            let verdict = judge(&d, &k);
            prop_assert!(!matches!(verdict, Verdict::Event(_)), "an arbitrary body was taken as an event");
        }
    }

    /// JSON-shaped input with arbitrary fields: still a verdict, and an event only with the token.
    #[test]
    fn arbitrary_json_events(event_id in ".{0,40}", token in ".{0,30}", kind in ".{0,40}", age_s in 0u32..1000) {
        let mut event = event_json(&kind, json!({"a": [1, {"b": null}]}), &token, NOW_MS - f64::from(age_s) * 1000.0);
        event["header"]["event_id"] = json!(event_id);
        let body = event.to_string();
        let verdict = judge(&plain(body.as_bytes()), &keys(false, true));
        if token != TOKEN || age_s > 300 {
            prop_assert_eq!(verdict, Verdict::Refused);
        }
    }

    /// Ciphertext of anything under another key, or any signature but the right one: refused.
    #[test]
    fn a_wrong_key_or_signature_is_always_refused(key in "[ -~]{1,40}", plaintext in ".{0,200}", forged in "[0-9a-f]{64}") {
        prop_assume!(key != KEY);
        let event = event_json("x", json!({"p": plaintext}), TOKEN, NOW_MS);
        let wrong_key = seal(&event, &key, NOW_MS);
        prop_assert_eq!(judge(&delivery(&wrong_key), &keys(true, true)), Verdict::Refused);
        let mut forged_signature = seal(&event, KEY, NOW_MS);
        prop_assume!(forged != forged_signature.signature);
        forged_signature.signature = forged;
        prop_assert_eq!(judge(&delivery(&forged_signature), &keys(true, true)), Verdict::Refused);
        prop_assert_eq!(EncryptKey::new(KEY).decrypt(&encrypt(&key, [3; 16], plaintext.as_bytes())).as_deref() == Some(plaintext.as_bytes()), false);
    }

    /// Decrypting arbitrary text never panics.
    #[test]
    fn decrypting_anything(text in ".{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key = EncryptKey::new(KEY);
        let _ = key.decrypt(&text);
        use base64::Engine;
        let _ = key.decrypt(&base64::engine::general_purpose::STANDARD.encode(&bytes));
    }
}
