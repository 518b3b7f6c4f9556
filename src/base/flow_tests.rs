//! The Lark Base flow against a fake platform: a small in-memory table that answers as Lark Base
//! does (search pages, batch calls, fields), answers scripted ahead of it for faults, and a clock
//! that moves only when slept on.

use super::*;
use crate::error::TokenError;
use crate::http::Malformed;
use futures::executor::block_on;
use serde::de::DeserializeOwned;
use serde_json::{json, Value as Json};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::Waker;

const TOKEN: &str = "t-flow-token-0001";

#[derive(Debug)]
struct Sent {
    method: &'static str,
    url: String,
    bearer: Option<String>,
    body: Option<Json>,
    timeout_ms: u32,
}

/// A table of the columns in `FIELDS`, with Lark's read form for text (rich-text segments).
#[derive(Default)]
struct Table {
    records: Vec<(String, serde_json::Map<String, Json>)>,
    next: usize,
}

const FIELDS: &[(&str, i64)] = &[
    ("Key", 1),
    ("Name", 1),
    ("Amount", 2),
    ("Due", 5),
    ("Total", 20),
];

impl Table {
    fn add(&mut self, fields: Json) -> String {
        self.next += 1;
        let id = format!("rec{:06}", self.next);
        let Json::Object(map) = fields else {
            panic!("fields")
        };
        self.records.push((id.clone(), map));
        id
    }

    fn read_form(&self, fields: &serde_json::Map<String, Json>, only: Option<&Vec<Json>>) -> Json {
        let mut out = serde_json::Map::new();
        for (name, value) in fields {
            if only.is_some_and(|o| !o.contains(&json!(name))) || value.is_null() {
                continue;
            }
            let text = FIELDS.iter().any(|(n, t)| n == name && *t == 1);
            let value = match value {
                Json::String(s) if text => json!([{ "type": "text", "text": s }]),
                other => other.clone(),
            };
            out.insert(name.clone(), value);
        }
        Json::Object(out)
    }

    fn answer(&mut self, method: &str, url: &str, body: Option<&Json>) -> (u16, Json) {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        };
        let page = |total: usize| -> (usize, usize) {
            let size = param("page_size").map_or(20, |s| s.parse().unwrap());
            assert!(size <= 500, "page_size {size}");
            let offset = param("page_token").map_or(0, |t| t.parse().unwrap());
            (offset, (offset + size).min(total))
        };
        let ok = |data: Json| (200, json!({ "code": 0, "msg": "success", "data": data }));
        if path.ends_with("/tables") {
            return ok(
                json!({ "items": [{"table_id": "tblA", "name": "A", "revision": 1}], "has_more": false }),
            );
        }
        if path.ends_with("/fields") {
            let items: Vec<Json> = FIELDS
                .iter()
                .enumerate()
                .map(|(i, (name, kind))| {
                    json!({"field_id": format!("fld{i}"), "field_name": name, "type": kind, "is_primary": i == 0})
                })
                .collect();
            let (from, to) = page(items.len());
            return ok(
                json!({ "items": items[from..to], "has_more": to < items.len(),
                "page_token": to.to_string(), "total": items.len() }),
            );
        }
        let action = path.rsplit('/').next().unwrap();
        let body = body.cloned().unwrap_or(Json::Null);
        assert_eq!(method, "POST");
        match action {
            "search" => {
                let matching: Vec<&(String, serde_json::Map<String, Json>)> = self
                    .records
                    .iter()
                    .filter(|(_, fields)| match body.get("filter") {
                        None => true,
                        Some(filter) => filter["conditions"].as_array().unwrap().iter().any(|c| {
                            assert_eq!(c["operator"], "is");
                            let cell = &fields.get(c["field_name"].as_str().unwrap());
                            let want = c["value"][0].as_str().unwrap();
                            match cell {
                                Some(Json::String(s)) => s == want,
                                Some(Json::Number(n)) => n.to_string() == want,
                                _ => false,
                            }
                        }),
                    })
                    .collect();
                let (from, to) = page(matching.len());
                let items: Vec<Json> = matching[from..to]
                    .iter()
                    .map(|(id, fields)| {
                        json!({"record_id": id, "fields": self.read_form(fields, body["field_names"].as_array())})
                    })
                    .collect();
                ok(json!({ "items": items, "has_more": to < matching.len(),
                    "page_token": if to < matching.len() { to.to_string() } else { String::new() },
                    "total": matching.len() }))
            }
            "batch_create" => {
                let records = body["records"].as_array().unwrap();
                if records.len() > 500 {
                    return (
                        400,
                        json!({"code": 1254104, "msg": "RecordAddOnceExceedLimit"}),
                    );
                }
                let created: Vec<Json> = records
                    .iter()
                    .map(|r| json!({"record_id": self.add(r["fields"].clone()), "fields": r["fields"]}))
                    .collect();
                ok(json!({ "records": created }))
            }
            "batch_update" => {
                let records = body["records"].as_array().unwrap();
                assert!(records.len() <= 500);
                for r in records {
                    let id = r["record_id"].as_str().unwrap();
                    let Some((_, fields)) = self.records.iter_mut().find(|(i, _)| i == id) else {
                        return (200, json!({"code": 1254043, "msg": "RecordIdNotFound"}));
                    };
                    for (k, v) in r["fields"].as_object().unwrap() {
                        fields.insert(k.clone(), v.clone());
                    }
                }
                ok(json!({ "records": records }))
            }
            "batch_get" => {
                let ids = body["record_ids"].as_array().unwrap();
                assert!(ids.len() <= 100, "batch_get of {}", ids.len());
                let found: Vec<Json> = self
                    .records
                    .iter()
                    .filter(|(id, _)| ids.contains(&json!(id)))
                    .map(|(id, fields)| json!({"record_id": id, "fields": self.read_form(fields, None)}))
                    .collect();
                let absent: Vec<&Json> = ids
                    .iter()
                    .filter(|id| !self.records.iter().any(|(i, _)| json!(i) == **id))
                    .collect();
                ok(json!({ "records": found, "absent_record_ids": absent }))
            }
            "batch_delete" => {
                let ids = body["records"].as_array().unwrap().clone();
                assert!(ids.len() <= 500);
                self.records.retain(|(id, _)| !ids.contains(&json!(id)));
                let done: Vec<Json> = ids
                    .iter()
                    .map(|id| json!({"record_id": id, "deleted": true}))
                    .collect();
                ok(json!({ "records": done }))
            }
            other => panic!("unexpected action {other}"),
        }
    }
}

#[derive(Default)]
struct Fake {
    now: Cell<f64>,
    sent: RefCell<Vec<Sent>>,
    scripted: RefCell<VecDeque<Result<HttpAnswer, TokenError>>>,
    slept: RefCell<Vec<u32>>,
    table: RefCell<Table>,
    /// Every request takes its whole timeout and fails: a server that never answers.
    silent: Cell<bool>,
    /// Timers waiting for the clock to pass them.
    timers: RefCell<Vec<(f64, Waker)>>,
}

impl Platform for Fake {
    async fn send<B: Serialize>(
        &self,
        request: &Request<B>,
        timeout_ms: u32,
    ) -> Result<HttpAnswer, TokenError> {
        let body = request.body.as_ref().map(Payload::sent);
        self.sent.borrow_mut().push(Sent {
            method: request.method,
            url: request.url.clone(),
            bearer: request.bearer.clone(),
            body: body.clone(),
            timeout_ms,
        });
        if self.silent.get() {
            self.pass(f64::from(timeout_ms));
            return Err(TokenError::timeout(timeout_ms));
        }
        if let Some(answer) = self.scripted.borrow_mut().pop_front() {
            return answer;
        }
        let (status, json) =
            self.table
                .borrow_mut()
                .answer(request.method, &request.url, body.as_ref());
        Ok(HttpAnswer {
            status,
            body: json.to_string(),
            ..HttpAnswer::default()
        })
    }

    fn decode<T: DeserializeOwned>(&self, body: &str, max_values: usize) -> Result<T, Malformed> {
        crate::http::decode_json(body, max_values)
    }

    async fn sleep(&self, ms: u32) {
        self.slept.borrow_mut().push(ms);
        self.pass(f64::from(ms));
    }

    /// Pending until the clock, moved by sleeps and silent requests, passes it.
    fn timer(&self, ms: u32) -> impl Future<Output = ()> {
        let due = self.now.get() + f64::from(ms);
        std::future::poll_fn(move |cx| {
            if self.now.get() >= due {
                Poll::Ready(())
            } else {
                self.timers.borrow_mut().push((due, cx.waker().clone()));
                Poll::Pending
            }
        })
    }

    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    fn random(&self) -> f64 {
        0.5
    }
}

impl Fake {
    fn pass(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
        let now = self.now.get();
        let due: Vec<Waker> = {
            let mut timers = self.timers.borrow_mut();
            let (due, waiting) = timers.drain(..).partition(|(at, _)| *at <= now);
            *timers = waiting;
            due.into_iter().map(|(_, waker)| waker).collect()
        };
        due.into_iter().for_each(Waker::wake);
    }

    fn script(&self, status: u16, body: Json) {
        self.scripted.borrow_mut().push_back(Ok(HttpAnswer {
            status,
            body: body.to_string(),
            ..HttpAnswer::default()
        }));
    }

    fn actions(&self) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .map(|s| {
                let path = s.url.split('?').next().unwrap();
                path.rsplit('/').next().unwrap().to_owned()
            })
            .collect()
    }

    fn seed(&self, count: usize) -> Vec<String> {
        (0..count)
            .map(|n| {
                self.table
                    .borrow_mut()
                    .add(json!({"Key": format!("K{n}"), "Amount": n}))
            })
            .collect()
    }
}

/// A token from "the credential": counts the calls, and gives a new token when asked to renew.
#[derive(Default)]
struct Credential {
    calls: Cell<u32>,
    renewals: Cell<u32>,
}

impl TokenSource for Credential {
    async fn token(&self, renew: bool, _within_ms: u32) -> Result<String, BaseError> {
        self.calls.set(self.calls.get() + 1);
        if renew {
            self.renewals.set(self.renewals.get() + 1);
        }
        Ok(format!("t-cred-{}", self.renewals.get()))
    }

    fn can_renew(&self) -> bool {
        true
    }

    fn app(&self) -> &str {
        "cli_credential_app"
    }
}

fn settings() -> Settings {
    Settings {
        base_url: "https://open.larksuite.com".into(),
        app_token: "bascnFlow".into(),
        timeout_ms: 30_000,
        deadline_ms: 60_000,
        max_attempts: 5,
        simplify: true,
        stop_on_error: false,
        client_token: None,
    }
}

fn with<R>(
    fake: &Fake,
    settings: &Settings,
    f: impl FnOnce(&Base<'_, Fake, GivenToken>) -> R,
) -> R {
    let (tokens, shared) = (GivenToken(TOKEN.into()), Shared::default());
    f(&Base::new(fake, &tokens, &shared, settings))
}

impl OutRecord {
    /// The cells, read back from their JSON text.
    fn cells(&self) -> Value {
        serde_json::from_str(self.fields.get()).unwrap()
    }
}

fn rows(values: Vec<Json>) -> Vec<RawRow> {
    serde_json::from_value(Json::Array(values)).unwrap()
}

fn ok_records(results: &[ItemResult]) -> Vec<(u32, Action, &OutRecord)> {
    results
        .iter()
        .map(|r| match &r.outcome {
            Ok((action, record)) => (r.item, *action, record),
            Err(e) => panic!("item {} failed: {e}", r.item),
        })
        .collect()
}

#[test]
fn search_reads_every_page_or_stops_at_the_limit() {
    let fake = Fake::default();
    fake.seed(1234);
    let s = settings();
    let all = with(&fake, &s, |b| {
        block_on(b.search("tbl1", SearchBody::default(), None))
    })
    .unwrap();
    assert_eq!(all.records.len(), 1234);
    assert_eq!(all.total, Some(1234));
    assert_eq!(
        all.records[1233].cells().get("Key"),
        Some(&Value::text("K1233"))
    );
    let sizes: Vec<String> = fake.sent.borrow().iter().map(|s| s.url.clone()).collect();
    assert_eq!(sizes.len(), 3);
    assert!(
        sizes[0].ends_with("/records/search?page_size=500"),
        "{}",
        sizes[0]
    );
    assert!(
        sizes[2].ends_with("?page_size=500&page_token=1000"),
        "{}",
        sizes[2]
    );
    assert!(fake
        .sent
        .borrow()
        .iter()
        .all(|s| s.bearer.as_deref() == Some(TOKEN)));

    fake.sent.borrow_mut().clear();
    let first = with(&fake, &s, |b| {
        block_on(b.search("tbl1", SearchBody::default(), Some(600)))
    })
    .unwrap();
    assert_eq!(first.records.len(), 600);
    let urls: Vec<String> = fake.sent.borrow().iter().map(|s| s.url.clone()).collect();
    assert!(urls[1].contains("page_size=100&page_token=500"), "{urls:?}");
}

#[test]
fn text_cells_are_plain_strings_unless_asked_otherwise() {
    let fake = Fake::default();
    fake.table
        .borrow_mut()
        .add(json!({"Key": "a", "Name": "Nguyễn"}));
    let mut s = settings();
    let plain = with(&fake, &s, |b| {
        block_on(b.search("t", SearchBody::default(), None))
    })
    .unwrap();
    assert_eq!(
        plain.records[0].cells().get("Name"),
        Some(&Value::text("Nguyễn"))
    );
    s.simplify = false;
    let rich = with(&fake, &s, |b| {
        block_on(b.search("t", SearchBody::default(), None))
    })
    .unwrap();
    assert!(matches!(
        rich.records[0].cells().get("Name"),
        Some(Value::List(_))
    ));
}

#[test]
fn create_sends_batches_of_500_and_pairs_every_item() {
    let fake = Fake::default();
    let s = settings();
    let mut input: Vec<Json> = (0..1201)
        .map(|n| json!({"item": n, "fields": {"Key": format!("N{n}"), "Amount": n, "Due": "2026-11-26", "access_token": "x"}}))
        .collect();
    input[700] = json!({"item": 700, "fields": {"Key": "bad", "Amount": "many"}});
    let results = with(&fake, &s, |b| {
        block_on(b.create("tbl1", rows(input), Unknown::Ignore))
    })
    .unwrap();
    assert_eq!(results.len(), 1201);
    assert_eq!(
        fake.actions(),
        ["fields", "batch_create", "batch_create", "batch_create"]
    );
    let sizes: Vec<usize> = fake.sent.borrow()[1..]
        .iter()
        .map(|s| {
            s.body.as_ref().unwrap()["records"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [500, 500, 200]);
    let bad = &results[700];
    assert_eq!(bad.item, 700);
    assert_eq!(
        bad.outcome.as_ref().unwrap_err().column.as_deref(),
        Some("Amount")
    );
    for (n, result) in results.iter().enumerate().filter(|(n, _)| *n != 700) {
        let (action, record) = result.outcome.as_ref().unwrap();
        assert_eq!((result.item as usize, *action), (n, Action::Created));
        assert_eq!(
            record.cells().get("Key"),
            Some(&Value::text(format!("N{n}")))
        );
        assert_eq!(
            record.cells().get("Due"),
            Some(&Value::Number(1_795_651_200_000.0))
        );
        assert_eq!(record.cells().get("access_token"), None);
    }
    let first = &fake.sent.borrow()[1];
    assert!(
        first.url.contains("/records/batch_create?client_token="),
        "{}",
        first.url
    );
    assert_eq!(fake.table.borrow().records.len(), 1200);
}

#[test]
fn write_conflicts_are_retried_with_the_same_client_token() {
    let fake = Fake::default();
    let s = settings();
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [{"field_id": "fldK", "field_name": "Key", "type": 1}]}}),
    );
    fake.script(200, json!({"code": 1254291, "msg": "Write conflict"}));
    fake.script(400, json!({"code": 1254290, "msg": "TooManyRequest"}));
    let input = rows(vec![json!({"fields": {"Key": "a"}})]);
    let results = with(&fake, &s, |b| {
        block_on(b.create("t", input, Unknown::Error))
    })
    .unwrap();
    assert_eq!(ok_records(&results)[0].1, Action::Created);
    let sent = fake.sent.borrow();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[1].url, sent[2].url);
    assert_eq!(sent[2].url, sent[3].url);
    let token = sent[1].url.split("client_token=").nth(1).unwrap();
    assert_eq!(token.len(), 36);
    assert_eq!(&token[14..15], "4", "a version 4 UUID");
    // A jittered backoff for the conflict; the pacer's backoff for the rate limit, which said
    // nothing of when to resume (250 ms, spread by the fake's 0.5).
    assert_eq!(*fake.slept.borrow(), [100, 188]);
}

#[test]
fn rate_limits_are_waited_out_up_to_the_deadline_whatever_max_attempts_says() {
    let fake = Fake::default();
    let mut s = settings();
    s.deadline_ms = 2500;
    s.max_attempts = 1;
    for _ in 0..10 {
        fake.scripted.borrow_mut().push_back(Ok(HttpAnswer {
            status: 429,
            body: "slow down".into(),
            retry_after: Some("1".into()),
            ..HttpAnswer::default()
        }));
    }
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert_eq!(e.code, BaseErrorCode::RateLimited);
    assert_eq!(
        e.attempts, 3,
        "at 0, 1 and 2 s; the next would be past 2.5 s"
    );
    assert!(
        e.message
            .ends_with("(after 3 attempts); waiting longer would pass the call's deadline"),
        "{}",
        e.message
    );
    let timeouts: Vec<u32> = fake.sent.borrow().iter().map(|s| s.timeout_ms).collect();
    assert_eq!(timeouts, [2500, 1500, 500]);
}

#[test]
fn lark_s_reset_and_limit_pace_every_call_of_the_app() {
    let fake = Fake::default();
    let s = settings();
    fake.scripted.borrow_mut().push_back(Ok(HttpAnswer {
        status: 400,
        body: json!({"code": 99991400, "msg": "request trigger frequency limit"}).to_string(),
        rate_reset: Some("2".into()),
        rate_limit: Some("4".into()),
        ..HttpAnswer::default()
    }));
    let (tokens, shared) = (GivenToken(TOKEN.into()), Shared::default());
    let base = Base::new(&fake, &tokens, &shared, &s);
    block_on(base.list_tables()).unwrap();
    assert_eq!(*fake.slept.borrow(), [2000], "the reset");
    // The next calls of the same app, even new ones, go at 4 a window, which is at least the
    // 2 s the reset spoke of: half a second apart.
    for _ in 0..3 {
        let again = Base::new(&fake, &tokens, &shared, &s);
        block_on(again.list_tables()).unwrap();
    }
    assert_eq!(*fake.slept.borrow(), [2000, 500, 500, 500]);
    // Another app is not held back, nor are this app's writes to a base.
    let other = GivenToken("t-another-app".into());
    block_on(Base::new(&fake, &other, &shared, &s).list_tables()).unwrap();
    assert_eq!(fake.slept.borrow().len(), 4);
}

/// A refusal as a proxy gives it: HTTP 429, and not a word of the limit or the reset.
fn plain_429(fake: &Fake) {
    fake.script(429, json!({"msg": "too many requests"}));
}

/// Lark's refusal: `limit` requests a window, which resets in `reset` seconds.
fn lark_refusal(fake: &Fake, reset: &str, limit: &str) {
    fake.scripted.borrow_mut().push_back(Ok(HttpAnswer {
        status: 400,
        body: json!({"code": 99991400, "msg": "request trigger frequency limit"}).to_string(),
        rate_reset: Some(reset.into()),
        rate_limit: Some(limit.into()),
        ..HttpAnswer::default()
    }));
}

/// How long, on the fake's clock, `calls` calls of one app take one after another.
fn time_of_calls(fake: &Fake, tokens: &GivenToken, shared: &Shared, calls: usize) -> f64 {
    let s = settings();
    let began = fake.now.get();
    for _ in 0..calls {
        block_on(Base::new(fake, tokens, shared, &s).list_tables()).unwrap();
    }
    fake.now.get() - began
}

/// Two plain refusals with one request that went through between them: a guess of one a second.
fn guess_one_a_second(fake: &Fake, tokens: &GivenToken, shared: &Shared) {
    for _ in 0..2 {
        plain_429(fake);
        time_of_calls(fake, tokens, shared, 1);
    }
}

#[test]
fn a_pace_guessed_from_a_plain_refusal_speeds_up_again() {
    let fake = Fake::default();
    let (tokens, shared) = (GivenToken(TOKEN.into()), Shared::default());
    guess_one_a_second(&fake, &tokens, &shared);
    let forty = time_of_calls(&fake, &tokens, &shared, 40);
    assert!(
        forty < 10_000.0,
        "40 calls took {forty} ms at the guessed pace"
    );
    let next = time_of_calls(&fake, &tokens, &shared, 40);
    assert!(next < 200.0, "40 more waited {next} ms");
    // A refusal after those: a guess again, from the 80 that went through.
    plain_429(&fake);
    time_of_calls(&fake, &tokens, &shared, 1);
    let paced = time_of_calls(&fake, &tokens, &shared, 2);
    assert!(paced > 0.0 && paced < 100.0, "{paced}");
}

#[test]
fn a_limit_lark_states_replaces_a_guess_and_holds() {
    let fake = Fake::default();
    let (tokens, shared) = (GivenToken(TOKEN.into()), Shared::default());
    guess_one_a_second(&fake, &tokens, &shared);
    // Lark says 50 a second: the guess of one a second goes, though it is the slower.
    lark_refusal(&fake, "1", "50");
    time_of_calls(&fake, &tokens, &shared, 1);
    let twenty = time_of_calls(&fake, &tokens, &shared, 20);
    assert!(twenty <= 20.0 * 20.0, "20 calls took {twenty} ms");
    // What Lark stated does not speed up on its own: 100 calls later it is still 20 ms apart.
    let hundred = time_of_calls(&fake, &tokens, &shared, 100);
    assert!(hundred >= 99.0 * 20.0, "100 calls took {hundred} ms");
}

#[test]
fn a_slowed_app_keeps_its_pace_while_a_thousand_others_come_and_go() {
    let fake = Fake::default();
    let (tokens, shared) = (GivenToken(TOKEN.into()), Shared::default());
    lark_refusal(&fake, "5", "1");
    time_of_calls(&fake, &tokens, &shared, 1);
    for n in 0..1000 {
        let other = GivenToken(format!("t-other-app-{n:04}"));
        time_of_calls(&fake, &other, &shared, 1);
    }
    assert_eq!(
        fake.slept.borrow().len(),
        1,
        "the others were not held back"
    );
    // One request a 5 s window: the next waits for the one after the reset.
    assert_eq!(time_of_calls(&fake, &tokens, &shared, 1), 5000.0);
}

#[test]
fn a_call_that_cannot_end_in_time_ends_at_its_deadline() {
    let fake = Fake::default();
    fake.silent.set(true);
    let mut s = settings();
    s.deadline_ms = 45_000;
    s.timeout_ms = 10_000;
    s.max_attempts = 10;
    let input: Vec<Json> = (0..5000)
        .map(|n| json!({"fields": {"Key": format!("K{n}")}}))
        .collect();
    let started = fake.now.get();
    let e = with(&fake, &s, |b| {
        block_on(b.create("t", rows(input), Unknown::Error))
    })
    .unwrap_err();
    // The columns never came: every try and wait counted against one deadline.
    assert_eq!(e.code, BaseErrorCode::Timeout);
    assert!(
        !e.message.contains("rate limit"),
        "Lark set no limit: {}",
        e.message
    );
    assert!(fake.now.get() - started <= 45_000.0, "{}", fake.now.get());
    let timeouts: Vec<u32> = fake.sent.borrow().iter().map(|s| s.timeout_ms).collect();
    assert!(timeouts.iter().all(|t| *t <= 10_000), "{timeouts:?}");
    assert!(timeouts.iter().map(|t| u64::from(*t)).sum::<u64>() <= 45_000);
}

#[test]
fn a_write_waiting_for_its_turn_gives_up_at_its_deadline_and_turns_are_freed() {
    let fake = Fake::default();
    let mut s = settings();
    s.deadline_ms = 5000;
    let shared = Shared::default();
    let tokens = GivenToken(TOKEN.into());
    let key = format!("{} {} t", s.base_url, s.app_token);
    let held = block_on(shared.locks.acquire(key));
    let input = rows(vec![json!({"fields": {"Key": "a"}})]);
    let base = Base::new(&fake, &tokens, &shared, &s);
    let mut call = Box::pin(base.create("t", input, Unknown::Error));
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(
        call.as_mut().poll(&mut cx).is_pending(),
        "waits for its turn"
    );
    fake.pass(5000.0);
    let e = block_on(call).unwrap_err();
    assert_eq!(e.code, BaseErrorCode::Timeout);
    assert!(
        e.message.contains("waiting for the table's other writes"),
        "{}",
        e.message
    );
    drop(held);
    assert_eq!(shared.locks.busy(), 0, "nothing is left held");
}

#[test]
fn pages_must_make_progress() {
    let page = |token: &str, items: usize| {
        let items: Vec<Json> = (0..items)
            .map(|n| json!({"record_id": format!("rec{n}x{token}"), "fields": {}}))
            .collect();
        json!({"code": 0, "data": {"items": items, "has_more": true, "page_token": token}})
    };
    let search = |fake: &Fake, limit: Option<usize>| {
        with(fake, &settings(), |b| {
            block_on(b.search("t", SearchBody::default(), limit))
        })
    };
    // Two tokens taking turns.
    let fake = Fake::default();
    for token in ["A", "B", "A"] {
        fake.script(200, page(token, 1));
    }
    let e = search(&fake, None).unwrap_err();
    assert!(
        e.message.contains("page_token given before"),
        "{}",
        e.message
    );
    assert_eq!(fake.sent.borrow().len(), 3);
    // A page with more than was asked for, and an exact limit.
    let fake = Fake::default();
    fake.script(200, page("A", 11));
    let e = search(&fake, Some(10)).unwrap_err();
    assert!(
        e.message.contains("more items than were asked for"),
        "{}",
        e.message
    );
    assert!(fake.sent.borrow()[0].url.contains("page_size=10"));
    // One record a page, when the first page said there are 3: at most 3 + 2 pages.
    let fake = Fake::default();
    for n in 0..10 {
        let mut p = page(&format!("T{n}"), 1);
        p["data"]["total"] = json!(3);
        fake.script(200, p);
    }
    let e = search(&fake, None).unwrap_err();
    assert!(
        e.message.contains("more pages than the total"),
        "{}",
        e.message
    );
    assert_eq!(fake.sent.borrow().len(), 3);
    // A page token too long to be Lark's.
    let fake = Fake::default();
    fake.script(200, page(&"p".repeat(5000), 1));
    assert_eq!(
        search(&fake, None).unwrap_err().code,
        BaseErrorCode::BadResponse
    );
    // The lists of tables and fields have their own cap.
    let fake = Fake::default();
    for n in 0..60 {
        fake.script(
            200,
            json!({"code": 0, "data": {"items": [{"table_id": format!("tbl{n}"), "name": "x"}], "has_more": true, "page_token": format!("p{n}")}}),
        );
    }
    assert!(with(&fake, &settings(), |b| block_on(b.list_tables())).is_err());
    assert_eq!(fake.sent.borrow().len(), 50);
}

#[test]
fn a_call_s_answers_are_bounded_together() {
    let fake = Fake::default();
    let cell = "x".repeat(1 << 20);
    for n in 0..14 {
        let items: Vec<Json> = (0..10)
            .map(|k| json!({"record_id": format!("rec{n}k{k}"), "fields": {"Note": cell}}))
            .collect();
        fake.script(
            200,
            json!({"code": 0, "data": {"items": items, "has_more": true, "page_token": format!("p{n}")}}),
        );
    }
    let e = with(&fake, &settings(), |b| {
        block_on(b.search("t", SearchBody::default(), None))
    })
    .unwrap_err();
    assert!(e.message.contains("more than 128 MiB"), "{}", e.message);
    assert!(e.hint.contains("filters"), "{}", e.hint);
    assert!(fake.sent.borrow().len() <= 13);
}

/// Creates `rows` against scripted fields and a scripted batch_create answer.
fn create_answered(records: Json, rows_in: &[Json]) -> (Vec<ItemResult>, Fake) {
    let fake = Fake::default();
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [
            {"field_id": "fldK", "field_name": "Key", "type": 1},
            {"field_id": "fldA", "field_name": "Amount", "type": 2},
            {"field_id": "fldD", "field_name": "Due", "type": 5},
            {"field_id": "fldS", "field_name": "Site", "type": 15}
        ]}}),
    );
    fake.script(200, json!({"code": 0, "data": {"records": records}}));
    let results = with(&fake, &settings(), |b| {
        block_on(b.create("t", rows(rows_in.to_vec()), Unknown::Error))
    })
    .unwrap();
    (results, fake)
}

#[test]
fn a_created_record_is_paired_to_its_row_only_when_the_answer_proves_it() {
    let input = [
        json!({"fields": {"Key": "a", "Amount": 1}}),
        json!({"fields": {"Key": "b", "Amount": 2}}),
    ];
    let rec = |id: &str, key: &str, amount: i64| json!({"record_id": id, "fields": {"Key": key, "Amount": amount}});
    let (ok, _) = create_answered(json!([rec("recA", "a", 1), rec("recB", "b", 2)]), &input);
    assert_eq!(ok_records(&ok)[1].2.record_id, "recB");
    for (label, answer) in [
        (
            "in another order",
            json!([rec("recB", "b", 2), rec("recA", "a", 1)]),
        ),
        ("one record short", json!([rec("recA", "a", 1)])),
        (
            "one too many",
            json!([
                rec("recA", "a", 1),
                rec("recB", "b", 2),
                rec("recC", "c", 3)
            ]),
        ),
        (
            "an ID twice",
            json!([rec("recA", "a", 1), rec("recA", "b", 2)]),
        ),
        (
            "ids swapped, cells kept",
            json!([rec("recB", "b", 1), rec("recA", "a", 2)]),
        ),
        (
            "a number that differs",
            json!([rec("recA", "a", 1), rec("recB", "b", 3)]),
        ),
        (
            "no fields",
            json!([{"record_id": "recA"}, {"record_id": "recB"}]),
        ),
        ("an empty ID", json!([rec("", "a", 1), rec("recB", "b", 2)])),
        (
            "an ID that is no record's",
            json!([rec("t-flow-token-0001", "a", 1), rec("recB", "b", 2)]),
        ),
        ("no records", json!([])),
    ] {
        let (results, fake) = create_answered(answer, &input);
        let sent_token = fake.sent.borrow()[1]
            .url
            .split("client_token=")
            .nth(1)
            .unwrap()
            .to_owned();
        for result in &results {
            let e = result.outcome.as_ref().expect_err(label);
            assert_eq!(e.code, BaseErrorCode::BadResponse, "{label}");
            let call_token = e
                .client_token
                .as_deref()
                .unwrap_or_else(|| panic!("{label}: {e:?}"));
            assert!(e.hint.contains(call_token), "{label}: {}", e.hint);
            // The batch's own token is made from the call's and the batch, as a run with it makes
            // again.
            let body = fake.sent.borrow()[1].body.clone().unwrap().to_string();
            assert_eq!(batch_client_token(call_token, &body), sent_token, "{label}");
            assert!(!format!("{e:?}").contains(TOKEN), "{label}");
        }
    }
}

#[test]
fn rows_that_differ_only_in_a_link_s_text_are_paired_by_it() {
    let site = |text: &str| json!({"link": "https://example.com/", "text": text});
    let input = [
        json!({"fields": {"Key": "a", "Site": site("Invoice for ACME")}}),
        json!({"fields": {"Key": "a", "Site": site("Invoice for Globex")}}),
    ];
    let rec =
        |id: &str, text: &str| json!({"record_id": id, "fields": {"Key": "a", "Site": site(text)}});
    let (ok, _) = create_answered(
        json!([
            rec("recA", "Invoice for ACME"),
            rec("recB", "Invoice for Globex")
        ]),
        &input,
    );
    assert_eq!(ok_records(&ok)[1].2.record_id, "recB");
    let (swapped, _) = create_answered(
        json!([
            rec("recB", "Invoice for Globex"),
            rec("recA", "Invoice for ACME")
        ]),
        &input,
    );
    for result in &swapped {
        let e = result.outcome.as_ref().unwrap_err();
        assert_eq!(e.code, BaseErrorCode::BadResponse);
    }
    // A separator inside a link or a text tells nothing apart that it should not.
    let input = [
        json!({"fields": {"Site": {"link": "https://example.com/a\u{1}b", "text": "c"}}}),
        json!({"fields": {"Site": {"link": "https://example.com/a", "text": "b\u{1}c"}}}),
    ];
    let site = |i: usize| input[i]["fields"]["Site"].clone();
    let (swapped, _) = create_answered(
        json!([{"record_id": "recB", "fields": {"Site": site(1)}}, {"record_id": "recA", "fields": {"Site": site(0)}}]),
        &input,
    );
    assert!(swapped.iter().all(|r| r.outcome.is_err()));
    // A link written without a text is written with the link as its text, and so compared.
    let plain = [json!({"fields": {"Site": "https://example.com/a"}})];
    let answer =
        json!([{"record_id": "recA", "fields": {"Site": {"link": "https://example.com/a"}}}]);
    assert_eq!(ok_records(&create_answered(answer, &plain).0).len(), 1);
}

#[test]
fn the_same_client_token_sends_the_same_batches_again() {
    let mut s = settings();
    s.client_token = Some("0f8c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b".into());
    let tokens_of = |s: &Settings| {
        let fake = Fake::default();
        let input: Vec<Json> = (0..1200)
            .map(|n| json!({"fields": {"Key": format!("K{n}")}}))
            .collect();
        with(&fake, s, |b| {
            block_on(b.create("t", rows(input), Unknown::Error))
        })
        .unwrap();
        let sent = fake.sent.borrow();
        sent.iter()
            .filter_map(|r| r.url.split("client_token=").nth(1).map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let first = tokens_of(&s);
    assert_eq!(first.len(), 3);
    assert_eq!(first, tokens_of(&s));
    assert_ne!(
        first,
        tokens_of(&settings()),
        "a random one when none is given"
    );
    assert_eq!(first.iter().collect::<HashSet<_>>().len(), 3);
}

#[test]
fn an_update_or_delete_counts_as_done_only_for_the_records_the_answer_names() {
    let fake = Fake::default();
    let ids = fake.seed(3);
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [{"field_id": "fldN", "field_name": "Name", "type": 1}]}}),
    );
    fake.script(
        200,
        json!({"code": 0, "data": {"records": [{"record_id": ids[1], "fields": {"Name": "y"}}]}}),
    );
    let input = rows(
        ids.iter()
            .map(|id| json!({"recordId": id, "fields": {"Name": "y"}}))
            .collect(),
    );
    let results = with(&fake, &settings(), |b| {
        block_on(b.update("t", input, Unknown::Error))
    })
    .unwrap();
    assert!(results[1].outcome.is_ok());
    for i in [0, 2] {
        let e = results[i].outcome.as_ref().unwrap_err();
        assert_eq!(e.code, BaseErrorCode::BadResponse);
        assert!(e.message.contains("may have been"), "{}", e.message);
    }
    fake.script(200, json!({"code": 0, "data": {"records": []}}));
    let input = rows(ids.iter().map(|id| json!({"recordId": id})).collect());
    let results = with(&fake, &settings(), |b| block_on(b.delete("t", input))).unwrap();
    assert!(results
        .iter()
        .all(|r| r.outcome.as_ref().unwrap_err().code == BaseErrorCode::BadResponse));
}

#[test]
fn an_upsert_never_writes_one_record_for_two_keys() {
    let fake = Fake::default();
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [{"field_id": "fldK", "field_name": "Key", "type": 1}]}}),
    );
    // The lookup lists one record under two keys.
    fake.script(
        200,
        json!({"code": 0, "data": {"has_more": false, "items": [
            {"record_id": "recSame", "fields": {"Key": "k1"}},
            {"record_id": "recSame", "fields": {"Key": "k2"}},
            {"record_id": "recOther", "fields": {"Key": "k3"}},
            {"record_id": "recOther", "fields": {"Key": "k3"}}
        ]}}),
    );
    let input = rows(vec![
        json!({"fields": {"Key": "k1"}}),
        json!({"fields": {"Key": "k2"}}),
        json!({"fields": {"Key": "k3"}}),
    ]);
    let results = with(&fake, &settings(), |b| {
        block_on(b.upsert("t", input, &["Key".into()], Unknown::Error))
    })
    .unwrap();
    for i in [0, 1] {
        let e = results[i].outcome.as_ref().unwrap_err();
        assert_eq!(e.code, BaseErrorCode::DuplicateKey, "{e}");
        assert!(
            e.message.contains("k1") && e.message.contains("k2"),
            "{}",
            e.message
        );
    }
    let sent = fake.sent.borrow();
    let update = sent
        .iter()
        .find(|r| r.url.contains("batch_update"))
        .unwrap();
    assert_eq!(
        update.body.as_ref().unwrap()["records"],
        json!([{"record_id": "recOther", "fields": {"Key": "k3"}}]),
        "a record listed twice under one key is still one record"
    );
}

#[test]
fn no_error_shows_a_token_the_call_sent_in_any_spelling() {
    let spelled = [
        TOKEN.to_owned(),
        TOKEN.chars().map(|c| format!("{c}\u{0}")).collect(),
        TOKEN.chars().map(|c| format!("{c}\u{202A}")).collect(),
        TOKEN.chars().map(|c| format!("{c}\u{E0020}")).collect(),
        TOKEN.chars().map(|c| format!("{c}\u{3164}")).collect(),
        TOKEN.chars().map(|c| format!("{c}\u{301}")).collect(),
        TOKEN.chars().map(|c| format!("{c}\u{FE0F}")).collect(),
        TOKEN
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect(),
    ];
    for spelling in &spelled {
        let fake = Fake::default();
        // As a message, and as a column name that a hint lists.
        fake.script(
            400,
            json!({"code": 1254001, "msg": format!("bad header {spelling}")}),
        );
        let e = with(&fake, &settings(), |b| block_on(b.list_tables())).unwrap_err();
        assert!(
            e.message.contains("withheld"),
            "{spelling:?}: {}",
            e.message
        );
        fake.script(
            200,
            json!({"code": 0, "data": {"items": [{"field_id": "fldK", "field_name": spelling, "type": 1}]}}),
        );
        let create = super::super::params::Operation::Create {
            rows: rows(vec![json!({"fields": {"Nope": "x"}})]),
            unknown: Unknown::Error,
        };
        let out = with(&fake, &settings(), |b| {
            block_on(super::super::ops::run(b, Some("t"), create))
        })
        .unwrap();
        let json = serde_json::to_value(&out).unwrap();
        let e = &json["items"][0]["error"];
        assert!(
            !e.to_string().contains(spelling.as_str()),
            "{spelling:?}: {e}"
        );
        assert!(e["hint"].as_str().unwrap().contains("withheld"), "{e}");
        assert_eq!(e["message"], "the table has no column named 'Nope'");
    }
}

#[test]
fn other_codes_stop_at_once_with_a_hint() {
    let fake = Fake::default();
    let s = settings();
    fake.script(200, json!({"code": 1254045, "msg": "FieldNameNotFound"}));
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert_eq!(
        (e.code, e.lark_code, e.attempts),
        (BaseErrorCode::LarkError, Some(1254045), 1)
    );
    assert!(e.hint.contains("column names"));
    fake.script(200, json!("not an envelope"));
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert_eq!(e.code, BaseErrorCode::BadResponse);
    fake.script(502, json!({"unrelated": true}));
    fake.script(200, json!({"code": 0}));
    let sent = fake.sent.borrow().len();
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert_eq!(e.code, BaseErrorCode::BadResponse, "{e}");
    assert_eq!(fake.sent.borrow().len(), sent + 2, "the 502 was retried");
}

#[test]
fn a_stale_token_is_renewed_once_from_the_credential_but_not_from_a_given_token() {
    let fake = Fake::default();
    let s = settings();
    let stale = json!({"code": 99991663, "msg": "Invalid access token for authorization."});
    fake.script(400, stale.clone());
    let (credential, shared) = (Credential::default(), Shared::default());
    let base = Base::new(&fake, &credential, &shared, &s);
    block_on(base.list_tables()).unwrap();
    assert_eq!((credential.calls.get(), credential.renewals.get()), (2, 1));
    let bearers: Vec<String> = fake
        .sent
        .borrow()
        .iter()
        .map(|s| s.bearer.clone().unwrap())
        .collect();
    assert_eq!(bearers, ["t-cred-0", "t-cred-1"]);
    assert!(fake.sent.borrow().iter().all(|s| s.method == "GET"));

    fake.script(400, stale);
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert_eq!((e.code, e.attempts), (BaseErrorCode::TokenInvalid, 1));
    assert!(e.hint.contains("Larkbase Get Token"), "{}", e.hint);
}

#[test]
fn a_message_that_quotes_the_token_or_secret_is_withheld() {
    let fake = Fake::default();
    let s = settings();
    fake.script(
        400,
        json!({"code": 1254001, "msg": format!("bad request, header Bearer {TOKEN}")}),
    );
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert!(!format!("{e:?}").contains(TOKEN), "{e:?}");
    assert!(e.message.contains("withheld"), "{}", e.message);
    fake.script(
        400,
        json!({"code": 1254001, "msg": format!("token was {}", TOKEN.to_uppercase())}),
    );
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert!(
        e.message.contains("withheld"),
        "another spelling: {}",
        e.message
    );
}

#[test]
fn a_failed_batch_fails_its_items_and_the_others_go_on_unless_told_to_stop() {
    for stop in [false, true] {
        let fake = Fake::default();
        let mut s = settings();
        s.stop_on_error = stop;
        fake.script(200, json!({"code": 0, "data": {"items": [{"field_id": "fldK", "field_name": "Key", "type": 1}]}}));
        fake.script(200, json!({"code": 1254015, "msg": "FieldConvFail"}));
        let input: Vec<Json> = (0..1100)
            .map(|n| json!({"fields": {"Key": format!("K{n}")}}))
            .collect();
        let results = with(&fake, &s, |b| {
            block_on(b.create("t", rows(input), Unknown::Error))
        })
        .unwrap();
        let codes: Vec<Option<BaseErrorCode>> = results
            .iter()
            .map(|r| r.outcome.as_ref().err().map(|e| e.code))
            .collect();
        assert!(codes[..500]
            .iter()
            .all(|c| *c == Some(BaseErrorCode::LarkError)));
        if stop {
            assert!(codes[500..]
                .iter()
                .all(|c| *c == Some(BaseErrorCode::NotSent)));
            assert_eq!(fake.actions().len(), 2);
        } else {
            assert!(codes[500..].iter().all(Option::is_none));
            assert_eq!(fake.actions().len(), 4);
        }
    }
}

#[test]
fn upsert_updates_matches_and_creates_the_rest_with_few_keys_by_filter() {
    let fake = Fake::default();
    let s = settings();
    let ids = fake.seed(3);
    let input = rows(vec![
        json!({"fields": {"Key": "K1", "Name": "one"}}),
        json!({"fields": {"Key": "new-a", "Name": "a"}}),
        json!({"fields": {"Key": "K2", "Amount": "7"}}),
        json!({"fields": {"Key": "dup"}}),
        json!({"fields": {"Key": "dup"}}),
    ]);
    let results = with(&fake, &s, |b| {
        block_on(b.upsert("t", input, &["Key".into()], Unknown::Error))
    })
    .unwrap();
    assert_eq!(
        fake.actions(),
        ["fields", "search", "batch_update", "batch_create"]
    );
    let lookup = fake.sent.borrow()[1].body.clone().unwrap();
    assert_eq!(lookup["field_names"], json!(["Key"]));
    assert_eq!(lookup["filter"]["conditions"].as_array().unwrap().len(), 4);
    let outcome = |i: usize| {
        results[i]
            .outcome
            .as_ref()
            .map(|(a, r)| (*a, r.record_id.clone()))
    };
    assert_eq!(outcome(0).unwrap(), (Action::Updated, ids[1].clone()));
    assert_eq!(outcome(1).unwrap().0, Action::Created);
    assert_eq!(outcome(2).unwrap(), (Action::Updated, ids[2].clone()));
    for i in [3, 4] {
        assert_eq!(outcome(i).unwrap_err().code, BaseErrorCode::DuplicateKey);
    }
    let table = fake.table.borrow();
    assert_eq!(table.records.len(), 4);
    assert_eq!(table.records[2].1["Amount"], json!(7));
}

#[test]
fn upsert_of_many_keys_reads_the_key_column_page_by_page() {
    let fake = Fake::default();
    let s = settings();
    fake.seed(1200);
    let input: Vec<Json> = (600..2600)
        .map(|n| json!({"fields": {"Key": format!("K{n}"), "Amount": n * 2}}))
        .collect();
    let results = with(&fake, &s, |b| {
        block_on(b.upsert("t", rows(input), &["Key".into()], Unknown::Error))
    })
    .unwrap();
    let actions = fake.actions();
    assert_eq!(
        actions,
        [
            "fields",
            "search",
            "search",
            "search",
            "batch_update",
            "batch_update",
            "batch_create",
            "batch_create",
            "batch_create"
        ]
    );
    assert!(fake.sent.borrow()[1]
        .body
        .as_ref()
        .unwrap()
        .get("filter")
        .is_none());
    let done = ok_records(&results);
    assert_eq!(done.iter().filter(|d| d.1 == Action::Updated).count(), 600);
    assert_eq!(done.iter().filter(|d| d.1 == Action::Created).count(), 1400);
    assert!(done.iter().enumerate().all(|(i, d)| d.0 as usize == i));
    assert_eq!(fake.table.borrow().records.len(), 2600);
}

#[test]
fn get_batches_100_ids_and_reports_missing_ones() {
    let fake = Fake::default();
    let s = settings();
    let ids = fake.seed(250);
    let mut input: Vec<Json> = ids.iter().map(|id| json!({"recordId": id})).collect();
    input.push(json!({"recordId": "recMissing"}));
    input.push(json!({"recordId": ids[0]}));
    let results = with(&fake, &s, |b| block_on(b.get("t", rows(input)))).unwrap();
    assert_eq!(fake.actions(), ["batch_get", "batch_get", "batch_get"]);
    assert_eq!(results.len(), 252);
    assert_eq!(
        results[250].outcome.as_ref().unwrap_err().code,
        BaseErrorCode::NotFound
    );
    let (action, record) = results[251].outcome.as_ref().unwrap();
    assert_eq!(
        (*action, record.record_id.as_str()),
        (Action::Found, ids[0].as_str())
    );
    assert_eq!(record.cells().get("Key"), Some(&Value::text("K0")));
}

#[test]
fn update_by_record_id_fails_a_batch_with_a_missing_record_as_a_whole() {
    let fake = Fake::default();
    let s = settings();
    let ids = fake.seed(3);
    let input = rows(vec![
        json!({"recordId": ids[0], "fields": {"Name": "zero"}}),
        json!({"recordId": "", "fields": {"Name": "x"}}),
        json!({"recordId": "recNope", "fields": {"Name": "x"}}),
    ]);
    let results = with(&fake, &s, |b| {
        block_on(b.update("t", input, Unknown::Error))
    })
    .unwrap();
    assert_eq!(
        results[1].outcome.as_ref().unwrap_err().code,
        BaseErrorCode::InvalidValue
    );
    assert_eq!(
        results[2].outcome.as_ref().unwrap_err().lark_code,
        Some(1254043)
    );
    assert_eq!(
        results[0].outcome.as_ref().unwrap_err().code,
        BaseErrorCode::NotFound,
        "the batch with the missing record failed as a whole"
    );
    let input = rows(vec![
        json!({"recordId": ids[1], "fields": {"Name": "one", "Amount": null}}),
    ]);
    let results = with(&fake, &s, |b| {
        block_on(b.update("t", input, Unknown::Error))
    })
    .unwrap();
    let (action, record) = results[0].outcome.as_ref().unwrap();
    assert_eq!(
        (*action, record.record_id.as_str()),
        (Action::Updated, ids[1].as_str())
    );
    assert_eq!(
        fake.sent.borrow().last().unwrap().body.as_ref().unwrap()["records"][0]["fields"],
        json!({"Name": "one", "Amount": null})
    );
}

#[test]
fn delete_shares_the_outcome_of_a_repeated_id() {
    let fake = Fake::default();
    let s = settings();
    let ids = fake.seed(2);
    let input = rows(vec![
        json!({"recordId": ids[0]}),
        json!({"recordId": ids[0]}),
        json!({"recordId": ids[1]}),
    ]);
    let results = with(&fake, &s, |b| block_on(b.delete("t", input))).unwrap();
    assert_eq!(fake.actions(), ["batch_delete"]);
    assert_eq!(
        fake.sent.borrow()[0].body.as_ref().unwrap()["records"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(ok_records(&results).iter().all(|r| r.1 == Action::Deleted));
    assert!(fake.table.borrow().records.is_empty());
}

#[test]
fn a_server_that_always_has_more_cannot_loop_for_ever() {
    let fake = Fake::default();
    let s = settings();
    let page = json!({"code": 0, "data": {"items": [{"table_id": "tblA", "name": "A"}], "has_more": true, "page_token": "same"}});
    fake.script(200, page.clone());
    fake.script(200, page);
    let e = with(&fake, &s, |b| block_on(b.list_tables())).unwrap_err();
    assert_eq!(e.code, BaseErrorCode::BadResponse);
    assert_eq!(fake.sent.borrow().len(), 2);
}

#[test]
fn told_to_stop_a_bad_row_stops_every_write_before_it_starts() {
    let fake = Fake::default();
    let mut s = settings();
    s.stop_on_error = true;
    let input = rows(vec![
        json!({"fields": {"Key": "a"}}),
        json!({"fields": {"Key": "b", "Amount": "x"}}),
    ]);
    let results = with(&fake, &s, |b| {
        block_on(b.create("t", input, Unknown::Error))
    })
    .unwrap();
    assert_eq!(fake.actions(), ["fields"]);
    assert_eq!(
        results[0].outcome.as_ref().unwrap_err().code,
        BaseErrorCode::NotSent
    );
    assert_eq!(
        results[1].outcome.as_ref().unwrap_err().code,
        BaseErrorCode::InvalidValue
    );
    let dup = rows(vec![
        json!({"fields": {"Key": "a"}}),
        json!({"fields": {"Key": "a"}}),
        json!({"fields": {"Key": "b"}}),
    ]);
    let results = with(&fake, &s, |b| {
        block_on(b.upsert("t", dup, &["Key".into()], Unknown::Error))
    })
    .unwrap();
    assert_eq!(
        results[2].outcome.as_ref().unwrap_err().code,
        BaseErrorCode::NotSent
    );
    assert!(!fake.actions().iter().any(|a| a.starts_with("batch")));
}

#[test]
fn a_page_too_large_to_read_at_once_is_asked_for_again_smaller() {
    let fake = Fake::default();
    let zeros = vec![0; answer::MAX_VALUES];
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [{"record_id": "recWide", "fields": {"x": zeros}}]}}),
    );
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [{"record_id": "recA", "fields": {}}], "has_more": false}}),
    );
    let found = with(&fake, &settings(), |b| {
        block_on(b.search("t", SearchBody::default(), None))
    })
    .unwrap();
    assert_eq!(found.records[0].record_id, "recA");
    let urls: Vec<String> = fake.sent.borrow().iter().map(|s| s.url.clone()).collect();
    assert!(urls[0].ends_with("page_size=500"), "{urls:?}");
    assert!(urls[1].ends_with("page_size=250"), "{urls:?}");
    // Too large however small the page: refused, in a bounded number of requests.
    let fake = Fake::default();
    for _ in 0..12 {
        fake.script(
            200,
            json!({"code": 0, "data": {"items": [{"record_id": "recWide", "fields": {"x": zeros}}]}}),
        );
    }
    let e = with(&fake, &settings(), |b| {
        block_on(b.search("t", SearchBody::default(), None))
    })
    .unwrap_err();
    assert!(e.message.contains("more values"), "{}", e.message);
    assert_eq!(
        fake.sent.borrow().len(),
        9,
        "500, 250, 125, 62, 31, 15, 7, 3, 1"
    );
}

#[test]
fn pages_asked_for_smaller_still_end_at_the_cap_on_pages() {
    let zeros = vec![0; answer::MAX_VALUES];
    for total in [None, Some(1e12)] {
        let fake = Fake::default();
        for _ in 0..8 {
            fake.script(
                200,
                json!({"code": 0, "data": {"items": [{"record_id": "recWide", "fields": {"x": zeros}}]}}),
            );
        }
        for n in 0..MAX_SEARCH_PAGES + 100 {
            fake.script(
                200,
                json!({"code": 0, "data": {"items": [{"record_id": format!("rec{n}"), "fields": {}}],
                       "has_more": true, "page_token": format!("p{n}"), "total": total}}),
            );
        }
        let e = with(&fake, &settings(), |b| {
            block_on(b.search("t", SearchBody::default(), None))
        })
        .unwrap_err();
        assert_eq!(e.code, BaseErrorCode::BadResponse, "{total:?}");
        assert!(
            fake.sent.borrow().len() <= MAX_SEARCH_PAGES + 8,
            "{total:?}: {} requests",
            fake.sent.borrow().len()
        );
    }
}

#[test]
fn a_token_far_into_a_long_text_is_still_withheld() {
    let fake = Fake::default();
    let long = "x".repeat(5000);
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [
            {"field_id": "fldL", "field_name": long, "type": 1},
            {"field_id": "fldT", "field_name": TOKEN, "type": 1}
        ]}}),
    );
    let create = super::super::params::Operation::Create {
        rows: rows(vec![json!({"fields": {"Nope": "x"}})]),
        unknown: Unknown::Error,
    };
    let out = with(&fake, &settings(), |b| {
        block_on(super::super::ops::run(b, Some("t"), create))
    })
    .unwrap();
    let shown = serde_json::to_string(&out).unwrap();
    assert!(!shown.contains(TOKEN), "{}", &shown[..300.min(shown.len())]);
    assert!(shown.len() < 3000, "column names are cut: {}", shown.len());
}

#[test]
fn many_rows_sharing_a_key_get_short_messages_quickly() {
    let fake = Fake::default();
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [{"field_id": "fldK", "field_name": "Key", "type": 1}]}}),
    );
    let input: Vec<Json> = (0..20_000)
        .map(|_| json!({"fields": {"Key": "same"}}))
        .collect();
    let results = with(&fake, &settings(), |b| {
        block_on(b.upsert("t", rows(input), &["Key".into()], Unknown::Error))
    })
    .unwrap();
    let e = results[7].outcome.as_ref().unwrap_err();
    assert_eq!(e.code, BaseErrorCode::DuplicateKey);
    assert!(
        e.message.contains("as item 0, 1, 2, 3, 4 and 19994 more"),
        "{}",
        e.message
    );
}

#[test]
fn every_cell_lark_echoes_must_match_and_ids_are_new_to_the_call() {
    // The same text, different dates, answered in reverse order.
    let input = [
        json!({"fields": {"Key": "a", "Due": "2026-01-01"}}),
        json!({"fields": {"Key": "a", "Due": "2027-01-01"}}),
    ];
    let reversed = json!([
        {"record_id": "recB", "fields": {"Key": "a", "Due": 1798761600000_i64}},
        {"record_id": "recA", "fields": {"Key": "a", "Due": 1767225600000_i64}}
    ]);
    let (results, _) = create_answered(reversed, &input);
    assert!(results.iter().all(|r| r.outcome.is_err()), "dates differ");
    // One record ID for two batches of one call.
    let fake = Fake::default();
    fake.script(
        200,
        json!({"code": 0, "data": {"items": [{"field_id": "fldK", "field_name": "Key", "type": 1}]}}),
    );
    let input: Vec<Json> = (0..501)
        .map(|n| json!({"fields": {"Key": format!("k{n}")}}))
        .collect();
    let first: Vec<Json> = (0..500)
        .map(|n| json!({"record_id": format!("rec{n}"), "fields": {"Key": format!("k{n}")}}))
        .collect();
    fake.script(200, json!({"code": 0, "data": {"records": first}}));
    fake.script(
        200,
        json!({"code": 0, "data": {"records": [{"record_id": "rec7", "fields": {"Key": "k500"}}]}}),
    );
    let results = with(&fake, &settings(), |b| {
        block_on(b.create("t", rows(input), Unknown::Error))
    })
    .unwrap();
    assert!(results[..500].iter().all(|r| r.outcome.is_ok()));
    assert_eq!(
        results[500].outcome.as_ref().unwrap_err().code,
        BaseErrorCode::BadResponse
    );
}

#[test]
fn batches_of_the_same_rows_in_one_call_get_tokens_of_their_own() {
    let mut s = settings();
    s.client_token = Some("0f8c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b".into());
    let tokens_of = |count: usize| {
        let fake = Fake::default();
        let input: Vec<Json> = (0..count)
            .map(|_| json!({"fields": {"Key": "same"}}))
            .collect();
        let results = with(&fake, &s, |b| {
            block_on(b.create("t", rows(input), Unknown::Error))
        })
        .unwrap();
        assert!(results.iter().all(|r| r.outcome.is_ok()));
        let sent = fake.sent.borrow();
        sent.iter()
            .filter_map(|r| r.url.split("client_token=").nth(1).map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let three = tokens_of(1500);
    assert_eq!(three.iter().collect::<HashSet<_>>().len(), 3);
    assert_eq!(three, tokens_of(1500), "the same call makes the same ones");
    assert_eq!(tokens_of(1000), three[..2], "and the first batches alike");
}

#[test]
fn a_failed_batch_sent_again_alone_with_its_client_token_gets_the_same_one() {
    let mut s = settings();
    s.client_token = Some("0f8c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b".into());
    let sent_tokens = |fake: &Fake| -> Vec<String> {
        fake.sent
            .borrow()
            .iter()
            .filter_map(|r| r.url.split("client_token=").nth(1).map(str::to_owned))
            .collect()
    };
    let row = |n: usize| json!({"fields": {"Key": format!("K{n}")}});
    let fake = Fake::default();
    with(&fake, &s, |b| {
        block_on(b.create("t", rows((0..1000).map(row).collect()), Unknown::Error))
    })
    .unwrap();
    let all = sent_tokens(&fake);
    let again = Fake::default();
    with(&again, &s, |b| {
        block_on(b.create("t", rows((500..1000).map(row).collect()), Unknown::Error))
    })
    .unwrap();
    assert_eq!(
        sent_tokens(&again),
        all[1..],
        "the second batch alone keeps its token"
    );
}
