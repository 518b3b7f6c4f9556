//! The Lark Base operations, generic over the platform like the token flow: every request with a
//! token from its source (the cache, per request, for the credential), retried with backoff within
//! a deadline on rate limits, write conflicts and transient failures; pagination; batches at
//! Lark's limits; writes to one table one at a time; and an outcome for every input row.

use super::api::{
    self, BatchCreateBody, BatchDeleteBody, BatchGetBody, BatchGetData, BatchUpdateBody,
    DeleteData, Envelope, FieldInfo, Head, NewRecord, Page, PageQuery, Record, RecordsData,
    RequestBody, SearchBody, Table,
};
use super::convert::simplify;
use super::error::{BaseError, BaseErrorCode};
use super::lock::TableLocks;
use super::plan::{self, Needs, RawRow, Row, Step, Unknown};
use super::value::Value;
use crate::error::server_text;
use crate::http::Request;
use crate::http::{HttpAnswer, Platform};
use crate::redact::SecretForms;
use crate::retry::{parse_retry_after, BASE_DELAY_MS, MAX_DELAY_MS};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::future::Future;

/// Lark Base answers carry up to 500 records; a few MB is far above any real one.
pub const MAX_BODY_BYTES: usize = 32 << 20;
/// Tables and fields per page (Lark's most for these lists).
const LIST_PAGE_SIZE: usize = 100;

/// Where the access token comes from.
pub trait TokenSource {
    /// The token for the next request; `renew` asks for a new one after Lark refused the last.
    fn token(&self, renew: bool) -> impl Future<Output = Result<String, BaseError>>;
    /// Whether `renew` can give another token (the credential can; a token typed in cannot).
    fn can_renew(&self) -> bool;
    /// What else must never appear in an error besides the token itself (the App Secret).
    fn secret(&self) -> Option<&str>;
}

/// A token given as it is, e.g. by Larkbase Get Token through the Access Token field.
pub struct GivenToken(pub String);

impl TokenSource for GivenToken {
    async fn token(&self, _renew: bool) -> Result<String, BaseError> {
        Ok(self.0.clone())
    }

    fn can_renew(&self) -> bool {
        false
    }

    fn secret(&self) -> Option<&str> {
        None
    }
}

/// Where and how: validated by the caller.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Scheme, host and optional path prefix, without a trailing slash.
    pub base_url: String,
    pub app_token: String,
    pub timeout_ms: u32,
    /// For all attempts of one request and the waits between them.
    pub deadline_ms: u32,
    pub max_attempts: u32,
    /// Rich-text cells read out as plain strings.
    pub simplify: bool,
    /// After a failed batch, send nothing more (the remaining items fail as not sent).
    pub stop_on_error: bool,
}

/// A record as the caller gets it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutRecord {
    pub record_id: String,
    pub fields: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Found,
    Created,
    Updated,
    Deleted,
}

/// What became of one input row.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemResult {
    pub item: u32,
    pub outcome: Result<(Action, OutRecord), BaseError>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SearchResult {
    pub records: Vec<OutRecord>,
    /// Lark's count of all matching records, when it gave one.
    pub total: Option<f64>,
}

pub struct Base<'a, P: Platform, T: TokenSource> {
    pub platform: &'a P,
    pub tokens: &'a T,
    pub locks: &'a TableLocks,
    pub settings: &'a Settings,
}

impl<P: Platform, T: TokenSource> Base<'_, P, T> {
    pub async fn list_tables(&self) -> Result<Vec<Table>, BaseError> {
        let s = self.settings;
        let url = |page: &PageQuery| api::tables_url(&s.base_url, &s.app_token, page);
        let (tables, _) = self
            .all_pages::<Table>("GET", url, None, LIST_PAGE_SIZE, None)
            .await?;
        Ok(tables)
    }

    pub async fn list_fields(&self, table_id: &str) -> Result<Vec<FieldInfo>, BaseError> {
        let s = self.settings;
        let url = |page: &PageQuery| api::fields_url(&s.base_url, &s.app_token, table_id, page);
        let (fields, _) = self
            .all_pages::<FieldInfo>("GET", url, None, LIST_PAGE_SIZE, None)
            .await?;
        Ok(fields)
    }

    /// Records matching `body`: all of them (`limit` None) or the first `limit`, page by page.
    pub async fn search(
        &self,
        table_id: &str,
        body: SearchBody,
        limit: Option<usize>,
    ) -> Result<SearchResult, BaseError> {
        let (records, total) = self.search_raw(table_id, body, limit).await?;
        Ok(SearchResult {
            records: records.into_iter().map(|r| self.out(r)).collect(),
            total,
        })
    }

    async fn search_raw(
        &self,
        table_id: &str,
        body: SearchBody,
        limit: Option<usize>,
    ) -> Result<(Vec<Record>, Option<f64>), BaseError> {
        let s = self.settings;
        let url = |page: &PageQuery| {
            api::records_url(&s.base_url, &s.app_token, table_id, "search", &page.query())
        };
        let body = RequestBody::Search(body);
        self.all_pages("POST", url, Some(body), plan::MAX_PAGE_SIZE, limit)
            .await
    }

    /// Records by ID, 100 per call; an ID that is not there fails its item as not found.
    pub async fn get(
        &self,
        table_id: &str,
        raw: Vec<RawRow>,
    ) -> Result<Vec<ItemResult>, BaseError> {
        let items = plan::item_numbers(&raw);
        let rows = plan::prepare(raw, &[], Unknown::Error, Needs::RecordId);
        let ids = unique_ids(&rows);
        let mut found: HashMap<String, Record> = HashMap::new();
        let mut failed: HashMap<String, BaseError> = HashMap::new();
        let mut stopped: Option<BaseError> = None;
        for batch in ids.chunks(plan::MAX_GET_BATCH) {
            if let Some(e) = &stopped {
                fail_all(&mut failed, batch, e);
                continue;
            }
            let url = self.records_url(table_id, "batch_get", "");
            let body = BatchGetBody {
                record_ids: batch.to_vec(),
                automatic_fields: None,
            };
            match self
                .call::<BatchGetData>("POST", url, Some(RequestBody::Get(body)))
                .await
            {
                Ok(data) => {
                    for record in data.records.unwrap_or_default() {
                        found.insert(record.record_id.clone(), record);
                    }
                    for id in data.forbidden_record_ids.unwrap_or_default() {
                        failed.insert(id, forbidden());
                    }
                }
                Err(e) => {
                    fail_all(&mut failed, batch, &e);
                    if self.settings.stop_on_error {
                        stopped = Some(BaseError::not_sent());
                    }
                }
            }
        }
        let mut results = Results::new(items, &rows);
        for (position, row) in rows.iter().enumerate() {
            let Ok(row) = row else { continue };
            let id = row.record_id.clone().unwrap_or_default();
            let outcome = match (found.get(&id), failed.get(&id)) {
                (Some(record), _) => Ok((Action::Found, self.out(record.clone()))),
                (None, Some(e)) => Err(e.clone()),
                (None, None) => Err(not_found()),
            };
            results.set(position, outcome);
        }
        Ok(results.finish())
    }

    /// One record per row, 500 per call.
    pub async fn create(
        &self,
        table_id: &str,
        raw: Vec<RawRow>,
        unknown: Unknown,
    ) -> Result<Vec<ItemResult>, BaseError> {
        let columns = self.columns(table_id).await?;
        let items = plan::item_numbers(&raw);
        let rows = plan::prepare(raw, &columns, unknown, Needs::Fields);
        let _turn = self.locks.acquire(self.table_key(table_id)).await;
        let mut results = Results::new(items, &rows);
        results.stop_if_any_failed(self.settings);
        let creates = rows
            .into_iter()
            .enumerate()
            .filter_map(|(p, r)| r.ok().map(|r| (p, r)))
            .collect();
        self.send_creates(table_id, creates, &mut results).await;
        Ok(results.finish())
    }

    /// The cells of records by ID, 500 per call; `Null` clears a cell.
    pub async fn update(
        &self,
        table_id: &str,
        raw: Vec<RawRow>,
        unknown: Unknown,
    ) -> Result<Vec<ItemResult>, BaseError> {
        let columns = self.columns(table_id).await?;
        let items = plan::item_numbers(&raw);
        let rows = plan::prepare(raw, &columns, unknown, Needs::Both);
        let _turn = self.locks.acquire(self.table_key(table_id)).await;
        let mut results = Results::new(items, &rows);
        results.stop_if_any_failed(self.settings);
        let updates = rows
            .into_iter()
            .enumerate()
            .filter_map(|(p, r)| {
                let row = r.ok()?;
                let id = row.record_id.clone()?;
                Some((p, row, id))
            })
            .collect();
        self.send_updates(table_id, updates, Action::Updated, &mut results)
            .await;
        Ok(results.finish())
    }

    /// Records by ID, 500 per call; rows naming the same record share its outcome.
    pub async fn delete(
        &self,
        table_id: &str,
        raw: Vec<RawRow>,
    ) -> Result<Vec<ItemResult>, BaseError> {
        let items = plan::item_numbers(&raw);
        let rows = plan::prepare(raw, &[], Unknown::Error, Needs::RecordId);
        let _turn = self.locks.acquire(self.table_key(table_id)).await;
        let ids = unique_ids(&rows);
        let mut outcome: HashMap<String, Result<(), BaseError>> = HashMap::new();
        let mut stopped = self.settings.stop_on_error && rows.iter().any(Result::is_err);
        for batch in ids.chunks(plan::MAX_WRITE_BATCH) {
            if stopped {
                for id in batch {
                    outcome.insert(id.clone(), Err(BaseError::not_sent()));
                }
                continue;
            }
            let url = self.records_url(table_id, "batch_delete", "");
            let body = BatchDeleteBody {
                records: batch.to_vec(),
            };
            match self
                .call::<DeleteData>("POST", url, Some(RequestBody::Delete(body)))
                .await
            {
                Ok(data) => {
                    let deleted: HashSet<String> = data
                        .records
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|d| d.deleted)
                        .map(|d| d.record_id)
                        .collect();
                    for id in batch {
                        let result = if deleted.contains(id) {
                            Ok(())
                        } else {
                            Err(BaseError::bad_response(
                                "Lark did not confirm this record was deleted",
                                None,
                            ))
                        };
                        outcome.insert(id.clone(), result);
                    }
                }
                Err(e) => {
                    for id in batch {
                        outcome.insert(id.clone(), Err(e.clone()));
                    }
                    stopped = self.settings.stop_on_error;
                }
            }
        }
        let mut results = Results::new(items, &rows);
        for (position, row) in rows.iter().enumerate() {
            let Ok(row) = row else { continue };
            let id = row.record_id.clone().unwrap_or_default();
            let done = OutRecord {
                record_id: id.clone(),
                fields: Value::Object(Vec::new()),
            };
            let result = outcome.get(&id).cloned().unwrap_or(Err(not_found()));
            results.set(position, result.map(|()| (Action::Deleted, done)));
        }
        Ok(results.finish())
    }

    /// Updates the records whose key columns match a row, creates the rest; a key shared by
    /// several rows, or matching several records, fails those rows.
    pub async fn upsert(
        &self,
        table_id: &str,
        raw: Vec<RawRow>,
        key_names: &[String],
        unknown: Unknown,
    ) -> Result<Vec<ItemResult>, BaseError> {
        let columns = self.columns(table_id).await?;
        let keys = plan::key_columns(key_names, &columns)?;
        let items = plan::item_numbers(&raw);
        let rows = plan::prepare(raw, &columns, unknown, Needs::Fields);
        // Held from the lookup to the last write, so that two upserts from this instance cannot
        // both miss a key and both create it.
        let _turn = self.locks.acquire(self.table_key(table_id)).await;
        let mut results = Results::new(items, &rows);
        let wanted = plan::wanted_keys(&rows, &keys);
        let existing = if wanted.is_empty() {
            HashMap::new()
        } else {
            let body = SearchBody {
                field_names: Some(keys.iter().map(|k| k.name.clone()).collect()),
                filter: plan::lookup_filter(&keys, &wanted),
                ..SearchBody::default()
            };
            let (records, _) = self.search_raw(table_id, body, None).await?;
            plan::index_records(&records, &keys)
        };
        let mut updates = Vec::new();
        let mut creates = Vec::new();
        for (position, step) in plan::plan_upsert(rows, &keys, &existing)
            .into_iter()
            .enumerate()
        {
            match step {
                Step::Update { row, record_id } => updates.push((position, row, record_id)),
                Step::Create { row } => creates.push((position, row)),
                Step::Failed { error, .. } => results.set(position, Err(error)),
            }
        }
        results.stop_if_any_failed(self.settings);
        self.send_updates(table_id, updates, Action::Updated, &mut results)
            .await;
        self.send_creates(table_id, creates, &mut results).await;
        Ok(results.finish())
    }

    async fn send_creates(
        &self,
        table_id: &str,
        creates: Vec<(usize, Row)>,
        results: &mut Results,
    ) {
        for batch in creates.chunks(plan::MAX_WRITE_BATCH) {
            if results.stopped {
                for (position, _) in batch {
                    results.set(*position, Err(BaseError::not_sent()));
                }
                continue;
            }
            // The same client_token on every attempt: a create that Lark applied but whose
            // answer was lost is not applied twice when it is sent again.
            let query = format!("?client_token={}", uuid_v4(|| self.platform.random()));
            let url = self.records_url(table_id, "batch_create", &query);
            let body = BatchCreateBody {
                records: batch
                    .iter()
                    .map(|(_, row)| NewRecord {
                        fields: row.fields_for_create(),
                    })
                    .collect(),
            };
            let answer = self
                .call::<RecordsData>("POST", url, Some(RequestBody::Create(body)))
                .await;
            let created = answer.and_then(|data| {
                let records = data.records.unwrap_or_default();
                if records.len() == batch.len() {
                    Ok(records)
                } else {
                    Err(BaseError::bad_response(
                        "batch_create answered a different number of records than it was sent",
                        None,
                    ))
                }
            });
            match created {
                Ok(records) => {
                    for ((position, _), record) in batch.iter().zip(records) {
                        results.set(*position, Ok((Action::Created, self.out(record))));
                    }
                }
                Err(e) => results.fail_batch(batch.iter().map(|(p, _)| *p), &e, self),
            }
        }
    }

    async fn send_updates(
        &self,
        table_id: &str,
        updates: Vec<(usize, Row, String)>,
        action: Action,
        results: &mut Results,
    ) {
        for batch in updates.chunks(plan::MAX_WRITE_BATCH) {
            if results.stopped {
                for (position, _, _) in batch {
                    results.set(*position, Err(BaseError::not_sent()));
                }
                continue;
            }
            let url = self.records_url(table_id, "batch_update", "");
            let body = BatchUpdateBody {
                records: batch
                    .iter()
                    .map(|(_, row, id)| Record {
                        record_id: id.clone(),
                        fields: row.fields_for_update(),
                    })
                    .collect(),
            };
            match self
                .call::<RecordsData>("POST", url, Some(RequestBody::Update(body)))
                .await
            {
                Ok(data) => {
                    let mut answered: HashMap<String, Record> = data
                        .records
                        .unwrap_or_default()
                        .into_iter()
                        .map(|r| (r.record_id.clone(), r))
                        .collect();
                    for (position, row, id) in batch {
                        // Lark answers with the records it updated; the cells sent stand in
                        // for a record it left out of its answer.
                        let record = answered.remove(id).unwrap_or_else(|| Record {
                            record_id: id.clone(),
                            fields: row.fields_for_update(),
                        });
                        results.set(*position, Ok((action, self.out(record))));
                    }
                }
                Err(e) => results.fail_batch(batch.iter().map(|(p, _, _)| *p), &e, self),
            }
        }
    }

    /// The table's columns, as the write operations need them.
    async fn columns(&self, table_id: &str) -> Result<Vec<super::fields::Field>, BaseError> {
        Ok(self
            .list_fields(table_id)
            .await?
            .into_iter()
            .map(FieldInfo::into_field)
            .collect())
    }

    fn out(&self, record: Record) -> OutRecord {
        let fields = match record.fields {
            Value::Object(cells) if self.settings.simplify => {
                Value::Object(cells.into_iter().map(|(k, v)| (k, simplify(v))).collect())
            }
            Value::Object(cells) => Value::Object(cells),
            _ => Value::Object(Vec::new()),
        };
        OutRecord {
            record_id: record.record_id,
            fields,
        }
    }

    fn records_url(&self, table_id: &str, action: &str, query: &str) -> String {
        let s = self.settings;
        api::records_url(&s.base_url, &s.app_token, table_id, action, query)
    }

    fn table_key(&self, table_id: &str) -> String {
        let s = self.settings;
        format!("{} {} {table_id}", s.base_url, s.app_token)
    }

    /// Every page of a list or search, or the first `limit` items.
    async fn all_pages<I: DeserializeOwned>(
        &self,
        method: &'static str,
        url_for: impl Fn(&PageQuery) -> String,
        body: Option<RequestBody>,
        page_size: usize,
        limit: Option<usize>,
    ) -> Result<(Vec<I>, Option<f64>), BaseError> {
        let mut items: Vec<I> = Vec::new();
        let mut page = PageQuery::default();
        let mut total = None;
        loop {
            let wanted = limit.map_or(page_size, |l| l.saturating_sub(items.len()).min(page_size));
            if wanted == 0 {
                return Ok((items, total));
            }
            page.page_size = Some(wanted);
            let answer: Page<I> = self.call(method, url_for(&page), body.clone()).await?;
            total = answer.total.or(total);
            let got = answer.items.unwrap_or_default();
            let empty = got.is_empty();
            items.extend(got);
            if !answer.has_more {
                return Ok((items, total));
            }
            // A server that says "more" forever would keep this loop going: an empty page or a
            // repeated token ends it.
            let next = answer.page_token.filter(|t| !t.is_empty());
            if empty || next.is_none() || next == page.page_token {
                return Err(BaseError::bad_response(
                    "has_more without a new page_token, or an empty page",
                    None,
                ));
            }
            page.page_token = next;
        }
    }

    /// One request and its answer's `data`. Also the trigger's (src/events) way to Lark Base.
    pub(crate) async fn call<D: DeserializeOwned>(
        &self,
        method: &'static str,
        url: String,
        body: Option<RequestBody>,
    ) -> Result<D, BaseError> {
        let answer = self.exchange(method, url, body).await?;
        self.platform
            .decode::<Envelope<D>>(&answer.body)
            .ok()
            .and_then(|envelope| envelope.data)
            .ok_or_else(|| {
                BaseError::bad_response(
                    "data is missing or of the wrong shape",
                    Some(answer.status),
                )
            })
    }

    /// One request, with a token from the source, retried within the deadline, up to an answer
    /// with Lark's `code` 0. The same code for every body and answer type.
    pub(crate) async fn exchange(
        &self,
        method: &'static str,
        url: String,
        body: Option<RequestBody>,
    ) -> Result<HttpAnswer<P::Body>, BaseError> {
        let s = self.settings;
        let deadline = self.platform.now_ms() + f64::from(s.deadline_ms);
        let mut request = Request {
            method,
            display_url: url.clone(),
            url,
            bearer: None,
            body,
            max_body_bytes: MAX_BODY_BYTES,
        };
        let mut attempt = 1;
        let mut renew = false;
        let mut renewed = false;
        loop {
            let token = self.tokens.token(renew).await?;
            renew = false;
            request.bearer = Some(token.clone());
            let remaining = (deadline - self.platform.now_ms()).max(1.0);
            let timeout_ms = f64::from(s.timeout_ms).min(remaining) as u32;
            let error = match self.platform.send(&request, timeout_ms).await {
                Ok(answer) => match self.check(&answer, &token) {
                    Ok(()) => return Ok(answer),
                    Err(e) => e,
                },
                Err(e) => BaseError::from(e),
            };
            // A token the cache still held but Lark no longer takes: one more try with a new one.
            if error.code == BaseErrorCode::TokenInvalid && self.tokens.can_renew() && !renewed {
                renewed = true;
                renew = true;
                attempt += 1;
                continue;
            }
            if attempt >= s.max_attempts || !error.is_retryable() {
                return Err(error.after_attempts(attempt));
            }
            let wait = delay_ms(&error, attempt, self.platform.random());
            if self.platform.now_ms() + wait >= deadline {
                return Err(error.after_attempts(attempt));
            }
            self.platform.sleep(wait as u32).await;
            attempt += 1;
        }
    }

    /// A server that echoes the request may quote the token or the App Secret in its message, in
    /// any spelling: such a message is withheld whole (as the token flow does), so that no part
    /// of either is shown.
    fn server_text(&self, msg: &str, token: &str) -> String {
        let text = server_text(msg, &SecretForms::new(token));
        match self.tokens.secret() {
            Some(secret) => server_text(&text, &SecretForms::of(secret)),
            None => text,
        }
    }

    /// Lark's envelope with `code` 0, or the error it stands for.
    fn check(&self, answer: &HttpAnswer<P::Body>, token: &str) -> Result<(), BaseError> {
        let status = answer.status;
        let success = (200..=299).contains(&status);
        let retry_after = || answer.retry_after.as_deref().and_then(parse_retry_after);
        let code = self
            .platform
            .decode::<Head>(&answer.body)
            .ok()
            .and_then(|head| whole(head.code).map(|code| (code, head.msg)));
        match code {
            None if success => Err(BaseError::bad_response(
                "the body is not Lark's JSON envelope",
                Some(status),
            )),
            None => {
                let mut e = BaseError::http(status);
                e.retry_after_s = retry_after();
                Err(e)
            }
            Some((code, msg)) if code != 0 => {
                let msg = self.server_text(&msg.unwrap_or_default(), token);
                let mut e = BaseError::lark(code, msg, status);
                e.retry_after_s = retry_after();
                Err(e)
            }
            Some(_) if !success => Err(BaseError::http(status)),
            Some(_) => Ok(()),
        }
    }
}

/// Lark's `code` is a JSON number; only a whole one is Lark's.
fn whole(code: f64) -> Option<i64> {
    (code.fract() == 0.0 && code.abs() <= 9_007_199_254_740_991.0).then_some(code as i64)
}

/// Retry-After when the server sent one (capped), else exponential backoff with full jitter.
fn delay_ms(error: &BaseError, failed_attempts: u32, random: f64) -> f64 {
    if let Some(seconds) = error.retry_after_s {
        return (f64::from(seconds) * 1000.0).min(MAX_DELAY_MS);
    }
    let exponent = failed_attempts.saturating_sub(1).min(16);
    let ceiling = (BASE_DELAY_MS * f64::from(1u32 << exponent)).min(MAX_DELAY_MS);
    ceiling * random.clamp(0.0, 1.0)
}

/// A random (version 4) UUID, as Lark wants for `client_token`.
fn uuid_v4(random: impl Fn() -> f64) -> String {
    let mut bytes = [0u8; 16];
    for byte in &mut bytes {
        *byte = (random().clamp(0.0, 0.999_999) * 256.0) as u8;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default().to_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

fn unique_ids(rows: &[Result<Row, BaseError>]) -> Vec<String> {
    let mut seen = HashSet::new();
    rows.iter()
        .filter_map(|r| r.as_ref().ok()?.record_id.clone())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

fn fail_all(failed: &mut HashMap<String, BaseError>, ids: &[String], e: &BaseError) {
    for id in ids {
        failed.insert(id.clone(), e.clone());
    }
}

fn not_found() -> BaseError {
    BaseError::new(
        BaseErrorCode::NotFound,
        "no record with this ID in the table".to_owned(),
        "check the record ID (rec...): the record may have been deleted",
    )
}

fn forbidden() -> BaseError {
    BaseError::new(
        BaseErrorCode::LarkError,
        "the app may not read this record".to_owned(),
        "check the app's access to the base and the record's permissions",
    )
}

/// The outcome of each row, by position.
struct Results {
    items: Vec<u32>,
    slots: Vec<Option<Result<(Action, OutRecord), BaseError>>>,
    stopped: bool,
}

impl Results {
    /// Rows that failed to prepare have their outcome already.
    fn new(items: Vec<u32>, rows: &[Result<Row, BaseError>]) -> Self {
        let slots = rows
            .iter()
            .map(|row| row.as_ref().err().map(|e| Err(e.clone())))
            .collect();
        Self {
            items,
            slots,
            stopped: false,
        }
    }

    fn set(&mut self, position: usize, outcome: Result<(Action, OutRecord), BaseError>) {
        if let Some(slot) = self.slots.get_mut(position) {
            *slot = Some(outcome);
        }
    }

    /// Without Continue On Fail, an item that cannot be sent stops the whole call before any
    /// write, as n8n stops at a failing item: nothing is half done.
    fn stop_if_any_failed(&mut self, settings: &Settings) {
        if settings.stop_on_error && self.slots.iter().any(|s| matches!(s, Some(Err(_)))) {
            self.stopped = true;
        }
    }

    fn fail_batch<P: Platform, T: TokenSource>(
        &mut self,
        positions: impl Iterator<Item = usize>,
        e: &BaseError,
        base: &Base<'_, P, T>,
    ) {
        for position in positions {
            self.set(position, Err(e.clone()));
        }
        if base.settings.stop_on_error {
            self.stopped = true;
        }
    }

    fn finish(self) -> Vec<ItemResult> {
        let items = self.items;
        self.slots
            .into_iter()
            .enumerate()
            .map(|(position, slot)| ItemResult {
                item: items.get(position).copied().unwrap_or(u32::MAX),
                outcome: slot.unwrap_or_else(|| {
                    Err(BaseError::bad_response("no outcome for this item", None))
                }),
            })
            .collect()
    }
}

// Native only: the local executor these tests use is not built for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "flow_tests.rs"]
mod tests;
