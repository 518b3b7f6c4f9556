//! The Lark Base operations, generic over the platform like the token flow. Every call is bounded:
//! one deadline for the whole call, checked before every request, wait and turn; pages that must
//! prove progress; a budget for what answers may bring in. Requests take their token from its
//! source (the cache, per request, for the credential), are paced with the app's other requests
//! once Lark says to slow down, and are retried within the deadline on rate limits, write
//! conflicts and transient failures. Writes to one table take turns, and every input row gets an
//! outcome that Lark's answer proves, or an error that says what may have happened.

use super::answer::{self, Answer, FieldInfo, Page, Problem, Table};
use super::api::{
    self, BatchCreateBody, BatchDeleteBody, BatchGetBody, BatchUpdateBody, NewRecord, PageQuery,
    Record, RequestBody, SearchBody,
};
use super::convert::{echo, simplify};
use super::error::{BaseError, BaseErrorCode};
use super::fields::{Field, FieldType};
use super::lock::TableLocks;
use super::pace::{self, Pacer};
use super::plan::{self, Needs, RawRow, Row, Step, Unknown};
use super::value::Value;
use crate::error::server_text;
use crate::http::{HttpAnswer, Malformed, Payload, Platform, Request};
use crate::redact::SecretForms;
use crate::retry::{parse_retry_after, BASE_DELAY_MS, MAX_DELAY_MS};
use crate::token::cache::strong_hash;
use serde::Serialize;
use serde_json::value::RawValue;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::pin;
use std::task::Poll;

/// One answer: 500 records of wide rows fit many times over.
pub const MAX_BODY_BYTES: usize = 16 << 20;
/// All answers of one call together: past this, a search must be narrowed.
pub const MAX_CALL_BYTES: usize = 128 << 20;
/// Tables and fields per page (Lark's most for these lists).
const LIST_PAGE_SIZE: usize = 100;
/// Pages a list of tables or fields may take: 5,000 of them.
const MAX_LIST_PAGES: usize = 50;
/// Pages a search may take: a million records.
const MAX_SEARCH_PAGES: usize = 2000;
/// Pages beyond what the first page's `total` implies, for records added while paging.
const SLACK_PAGES: usize = 2;

/// Where the access token comes from.
pub trait TokenSource {
    /// The token for the next request; `renew` asks for a new one after Lark refused the last.
    /// Getting it must end within `within_ms`, what is left of the call's deadline (a token
    /// request left running would outlive the call).
    fn token(&self, renew: bool, within_ms: u32)
        -> impl Future<Output = Result<String, BaseError>>;
    /// Whether `renew` can give another token (the credential can; a token typed in cannot).
    fn can_renew(&self) -> bool;
    /// Who the requests are made as, so that one app's calls are paced together.
    fn app(&self) -> &str;
}

/// A token given as it is, e.g. by Larkbase Get Token through the Access Token field.
pub struct GivenToken(pub String);

impl TokenSource for GivenToken {
    async fn token(&self, _renew: bool, _within_ms: u32) -> Result<String, BaseError> {
        Ok(self.0.clone())
    }

    fn can_renew(&self) -> bool {
        false
    }

    fn app(&self) -> &str {
        &self.0
    }
}

/// Where and how: validated by the caller.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Scheme, host and optional path prefix, without a trailing slash.
    pub base_url: String,
    pub app_token: String,
    /// For one request, its answer included.
    pub timeout_ms: u32,
    /// For the whole call: every request, wait and turn.
    pub deadline_ms: u32,
    /// Tries per request for failures other than rate limits, which are waited out up to the
    /// deadline.
    pub max_attempts: u32,
    /// Rich-text cells read out as plain strings.
    pub simplify: bool,
    /// After a failed batch, send nothing more (the remaining items fail as not sent).
    pub stop_on_error: bool,
    /// What the create batches' `client_token`s are made from: the same rows sent again with the
    /// same one are not created twice. A random one when the caller gave none.
    pub client_token: Option<String>,
}

/// What lives as long as the instance: whose turn it is to write to each table, and the pace of
/// each app's requests.
#[derive(Default)]
pub struct Shared {
    pub locks: TableLocks,
    pub pacer: Pacer,
}

/// A record as the caller gets it. Its cells are kept as the JSON text they will be written as: a
/// large search holds its records as compact text, not as a tree of small allocations each.
#[derive(Clone, Debug, Serialize)]
pub struct OutRecord {
    pub record_id: String,
    pub fields: Box<RawValue>,
}

impl OutRecord {
    /// A record with `fields` (an object) as its cells.
    pub fn new(record_id: String, fields: &Value) -> Self {
        // Our own `Value` always serializes; `null` stands in were it ever not to.
        let fields = serde_json::value::to_raw_value(fields).unwrap_or_default();
        Self { record_id, fields }
    }
}

impl PartialEq for OutRecord {
    fn eq(&self, other: &Self) -> bool {
        self.record_id == other.record_id && self.fields.get() == other.fields.get()
    }
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
    pub total: Option<u64>,
}

/// Which of an app's lanes a request goes in (see `pace`); a write brings the items it writes
/// (and a create batch its client token), for the journal, which is told just before the batch
/// is first sent.
#[derive(Clone, Copy)]
pub(crate) enum Lane<'r> {
    Read,
    Write(&'r [u32], Option<&'r str>),
}

pub struct Base<'a, P: Platform, T: TokenSource> {
    platform: &'a P,
    tokens: &'a T,
    shared: &'a Shared,
    settings: &'a Settings,
    deadline: f64,
    /// Bytes of answers this call has read, against `MAX_CALL_BYTES`.
    answered: Cell<usize>,
    /// The tokens this call sent, which no error may show, with their spellings, and what was
    /// found of them in which texts (a failed batch gives each of its items the same error).
    sent_tokens: RefCell<Vec<(String, SecretForms)>>,
    searched: RefCell<HashMap<String, bool>>,
    client_token: String,
    /// The records this call created or updated: a create answer that names one again proves
    /// nothing.
    written: RefCell<HashSet<String>>,
    /// Told of each write batch just before it is sent (see `with_journal`).
    journal: Option<&'a Journal>,
}

/// What a call is told of each write batch before it is sent: its items, and a create batch's
/// client token.
pub type Journal = dyn Fn(&[u32], Option<&str>);

/// Runs `work` unless `guard` (a timer) ends first.
async fn before<W: Future, G: Future>(work: W, guard: G) -> Option<W::Output> {
    let (mut work, mut guard) = (pin!(work), pin!(guard));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        if guard.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

impl<'a, P: Platform, T: TokenSource> Base<'a, P, T> {
    /// A call starts: its deadline runs from now.
    pub fn new(platform: &'a P, tokens: &'a T, shared: &'a Shared, settings: &'a Settings) -> Self {
        let client_token = settings
            .client_token
            .clone()
            .unwrap_or_else(|| uuid_v4(&[platform.random(), platform.random()]));
        Self {
            platform,
            tokens,
            shared,
            settings,
            deadline: platform.now_ms() + f64::from(settings.deadline_ms),
            answered: Cell::new(0),
            sent_tokens: RefCell::new(Vec::new()),
            searched: RefCell::new(HashMap::new()),
            client_token,
            written: RefCell::new(HashSet::new()),
            journal: None,
        }
    }

    /// Tells `journal` the items of each write batch, and a create batch's client token, just
    /// before the batch is sent: what the JS entry needs to give each item a true outcome if this
    /// instance dies mid-call (sent: may have been applied; not sent: safe to run again).
    pub fn with_journal(mut self, journal: &'a Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// The platform's clock, for what decides by the time (a poll's bounds).
    #[cfg(feature = "larkbase")]
    pub(crate) fn now_ms(&self) -> f64 {
        self.platform.now_ms()
    }

    pub fn settings(&self) -> &Settings {
        self.settings
    }

    fn note_sent(&self, items: &[u32], client_token: Option<&str>) {
        if let Some(journal) = self.journal {
            journal(items, client_token);
        }
    }

    pub async fn list_tables(&self) -> Result<Vec<Table>, BaseError> {
        let s = self.settings;
        let url = |page: &PageQuery| api::tables_url(&s.base_url, &s.app_token, page);
        let (tables, _) = self
            .all_pages("GET", url, None, Pages::list(None), &answer::table)
            .await?;
        Ok(tables)
    }

    pub async fn list_fields(&self, table_id: &str) -> Result<Vec<FieldInfo>, BaseError> {
        let s = self.settings;
        let url = |page: &PageQuery| api::fields_url(&s.base_url, &s.app_token, table_id, page);
        let (fields, _) = self
            .all_pages("GET", url, None, Pages::list(None), &answer::field)
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
        // Each page's records become their JSON text as the page is read: held as trees until
        // the end, a search took ten times its answers' size.
        let out = |value| answer::record(value).map(|record| self.out(record));
        let (records, total) = self.search_pages(table_id, body, limit, &out).await?;
        Ok(SearchResult { records, total })
    }

    /// Every page of a search, each record read by `item`.
    async fn search_pages<I>(
        &self,
        table_id: &str,
        body: SearchBody,
        limit: Option<usize>,
        item: &dyn Fn(Value) -> Result<I, Problem>,
    ) -> Result<(Vec<I>, Option<u64>), BaseError> {
        let s = self.settings;
        let url = |page: &PageQuery| {
            api::records_url(&s.base_url, &s.app_token, table_id, "search", &page.query())
        };
        let body = RequestBody::Search(body).json();
        let pages = Pages {
            size: plan::MAX_PAGE_SIZE,
            most: MAX_SEARCH_PAGES,
            limit,
        };
        self.all_pages("POST", url, Some(body), pages, item).await
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
            let answer = self
                .call(
                    "POST",
                    url,
                    Some(RequestBody::Get(body).json()),
                    Lane::Read,
                    answer::found,
                )
                .await;
            match answer {
                Ok(data) => {
                    let asked: HashSet<&String> = batch.iter().collect();
                    for record in data.records {
                        if asked.contains(&record.record_id) {
                            found.insert(record.record_id.clone(), record);
                        }
                    }
                    for id in data.forbidden.into_iter().filter(|id| asked.contains(id)) {
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
        let _turn = self.turn(table_id).await?;
        let mut results = Results::new(items, &rows);
        results.stop_if_any_failed(self.settings);
        let creates = rows
            .into_iter()
            .enumerate()
            .filter_map(|(p, r)| r.ok().map(|r| (p, r)))
            .collect();
        self.send_creates(table_id, &columns, creates, &mut results)
            .await;
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
        let _turn = self.turn(table_id).await?;
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
        self.send_updates(table_id, updates, &mut results).await;
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
        let _turn = self.turn(table_id).await?;
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
            let in_batch: HashSet<&String> = batch.iter().collect();
            let items: Vec<u32> = rows
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .filter(|row| {
                    row.record_id
                        .as_ref()
                        .is_some_and(|id| in_batch.contains(id))
                })
                .map(|row| row.item)
                .collect();
            let answer = self
                .call(
                    "POST",
                    url,
                    Some(RequestBody::Delete(body).json()),
                    Lane::Write(&items, None),
                    answer::deleted,
                )
                .await;
            match answer {
                Ok(entries) => {
                    let deleted: HashSet<String> = entries
                        .into_iter()
                        .filter(|d| d.deleted)
                        .map(|d| d.record_id)
                        .collect();
                    for id in batch {
                        let result = if deleted.contains(id) {
                            Ok(())
                        } else {
                            Err(unconfirmed("deleted", AGAIN_DELETE))
                        };
                        outcome.insert(id.clone(), result);
                    }
                }
                Err(e) => {
                    let e = e.perhaps_applied(AGAIN_DELETE);
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
            let done = OutRecord::new(id.clone(), &Value::Object(Vec::new()));
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
        let _turn = self.turn(table_id).await?;
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
            // Of each record only its key cells are kept, as the texts they compare as.
            let key_cells = |value| answer::record(value).map(|r| plan::key_cells(r, &keys));
            let (records, _) = self.search_pages(table_id, body, None, &key_cells).await?;
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
        self.send_updates(table_id, updates, &mut results).await;
        self.send_creates(table_id, &columns, creates, &mut results)
            .await;
        Ok(results.finish())
    }

    async fn send_creates(
        &self,
        table_id: &str,
        columns: &[Field],
        creates: Vec<(usize, Row)>,
        results: &mut Results,
    ) {
        let kinds: HashMap<&str, FieldType> =
            columns.iter().map(|c| (c.name.as_str(), c.kind)).collect();
        let mut tokens_used = HashSet::new();
        for batch in creates.chunks(plan::MAX_WRITE_BATCH) {
            if results.stopped {
                for (position, _) in batch {
                    results.set(*position, Err(BaseError::not_sent()));
                }
                continue;
            }
            let body = RequestBody::Create(BatchCreateBody {
                records: batch
                    .iter()
                    .map(|(_, row)| NewRecord {
                        fields: row.fields_for_create(),
                    })
                    .collect(),
            })
            .json();
            let items: Vec<u32> = batch.iter().map(|(_, row)| row.item).collect();
            // Made from the call's client token and the batch itself (and how many batches of the
            // same rows came before it): the same client_token on every attempt, and on any later
            // call that sends the same rows with the same client token, so that a create Lark
            // applied but whose answer was lost is not applied twice; and never the same for two
            // batches of one call, which Lark would take for one.
            let mut client_token = batch_client_token(&self.client_token, &body);
            while !tokens_used.insert(client_token.clone()) {
                client_token = batch_client_token(&client_token, &body);
            }
            let url = self.records_url(
                table_id,
                "batch_create",
                &format!("?client_token={client_token}"),
            );
            let lane = Lane::Write(&items, Some(&self.client_token));
            let answer = self
                .call("POST", url, Some(body), lane, answer::records)
                .await;
            let created = answer.and_then(|records| {
                pair_created(batch, records, &kinds, &mut self.written.borrow_mut())
                    .ok_or_else(|| BaseError::unproven_create(&self.client_token))
            });
            match created {
                Ok(records) => {
                    for ((position, _), record) in batch.iter().zip(records) {
                        results.set(*position, Ok((Action::Created, self.out(record))));
                    }
                }
                Err(e) => {
                    let e = e.perhaps_created(&self.client_token);
                    results.fail_batch(batch.iter().map(|(p, _)| *p), &e, self.settings)
                }
            }
        }
    }

    async fn send_updates(
        &self,
        table_id: &str,
        updates: Vec<(usize, Row, String)>,
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
            let items: Vec<u32> = batch.iter().map(|(_, row, _)| row.item).collect();
            let answer = self
                .call(
                    "POST",
                    url,
                    Some(RequestBody::Update(body).json()),
                    Lane::Write(&items, None),
                    answer::records,
                )
                .await;
            match answer {
                Ok(records) => {
                    // Only a record Lark's answer names is known to be updated.
                    let mut answered: HashMap<String, Record> = records
                        .into_iter()
                        .map(|r| (r.record_id.clone(), r))
                        .collect();
                    for (position, _, id) in batch {
                        let outcome = match answered.remove(id) {
                            Some(record) => {
                                self.written.borrow_mut().insert(id.clone());
                                Ok((Action::Updated, self.out(record)))
                            }
                            None => Err(unconfirmed("updated", AGAIN_UPDATE)),
                        };
                        results.set(*position, outcome);
                    }
                }
                Err(e) => {
                    let e = e.perhaps_applied(AGAIN_UPDATE);
                    results.fail_batch(batch.iter().map(|(p, _, _)| *p), &e, self.settings)
                }
            }
        }
    }

    /// The table's columns, as the write operations need them.
    async fn columns(&self, table_id: &str) -> Result<Vec<Field>, BaseError> {
        Ok(self
            .list_fields(table_id)
            .await?
            .into_iter()
            .map(FieldInfo::into_field)
            .collect())
    }

    /// This call's turn to write to the table, released when the call ends, however it ends.
    async fn turn(&self, table_id: &str) -> Result<super::lock::TableGuard, BaseError> {
        let s = self.settings;
        let key = format!("{} {} {table_id}", s.base_url, s.app_token);
        self.until(
            self.shared.locks.acquire(key),
            "waiting for the table's other writes",
        )
        .await
    }

    /// A record as the caller gets it.
    pub(crate) fn out(&self, record: Record) -> OutRecord {
        let fields = match record.fields {
            Value::Object(cells) if self.settings.simplify => {
                Value::Object(cells.into_iter().map(|(k, v)| (k, simplify(v))).collect())
            }
            Value::Object(cells) => Value::Object(cells),
            _ => Value::Object(Vec::new()),
        };
        OutRecord::new(record.record_id, &fields)
    }

    fn records_url(&self, table_id: &str, action: &str, query: &str) -> String {
        let s = self.settings;
        api::records_url(&s.base_url, &s.app_token, table_id, action, query)
    }

    /// Every page of a list or search, or the first `limit` items. A page must prove progress:
    /// no more items than asked for, a page token never seen before in this call, and no more
    /// pages than the first page's `total` allows (or than `pages.most`).
    async fn all_pages<I>(
        &self,
        method: &'static str,
        url_for: impl Fn(&PageQuery) -> String,
        body: Option<String>,
        pages: Pages,
        item: &dyn Fn(Value) -> Result<I, Problem>,
    ) -> Result<(Vec<I>, Option<u64>), BaseError> {
        let mut items: Vec<I> = Vec::new();
        let mut query = PageQuery::default();
        let mut total = None;
        let mut most = pages.most;
        let mut size = pages.size;
        let mut seen = HashSet::new();
        let mut number = 0;
        loop {
            let wanted = pages
                .limit
                .map_or(size, |l| l.saturating_sub(items.len()).min(size));
            if wanted == 0 {
                break;
            }
            query.page_size = Some(wanted);
            let answer = self
                .call(method, url_for(&query), body.clone(), Lane::Read, |data| {
                    answer::page(data, item)
                })
                .await;
            let page: Page<I> = match answer {
                // A page too large to read at once (wide rows, long cells) is asked for again,
                // smaller, so that no answer blocks the event loop for long.
                // The cap on pages stays: a server whose pages never fit would otherwise be asked
                // for a million pages of one record.
                Err(e) if e.oversized && wanted > 1 => {
                    size = wanted / 2;
                    if let Some(all) = total {
                        most = pages_for(all, items.len(), size)
                            .saturating_add(number)
                            .min(pages.most);
                    }
                    continue;
                }
                other => other?,
            };
            number += 1;
            if page.items.len() > wanted {
                return Err(BaseError::bad_response(
                    "a page held more items than were asked for",
                    None,
                ));
            }
            if number == 1 {
                total = page.total;
                if let Some(all) = page.total {
                    most = most.min(pages_for(all, 0, size));
                }
            }
            let empty = page.items.is_empty();
            items.extend(page.items);
            if !page.has_more {
                break;
            }
            let Some(next) = page.page_token else {
                return Err(BaseError::bad_response(
                    "has_more without a page_token",
                    None,
                ));
            };
            if empty || !seen.insert(next.clone()) {
                return Err(BaseError::bad_response(
                    "the pages do not move on: an empty page, or a page_token given before",
                    None,
                ));
            }
            if number >= most {
                return Err(BaseError::bad_response(
                    "more pages than the total Lark gave (or than any table has) allow",
                    None,
                ));
            }
            query.page_token = Some(next);
        }
        Ok((items, total))
    }

    /// One request and its answer's `data`, read by `read`. Also the trigger's (src/events) way to
    /// Lark Base.
    pub(crate) async fn call<D>(
        &self,
        method: &'static str,
        url: String,
        body: Option<String>,
        lane: Lane<'_>,
        read: impl FnOnce(Value) -> Result<D, Problem>,
    ) -> Result<D, BaseError> {
        let (status, answer) = self.exchange(method, url, body, lane).await?;
        read(answer.data).map_err(|problem| BaseError {
            sent: true,
            ..BaseError::bad_response(problem, Some(status))
        })
    }

    /// One request, with a token from the source, paced with the app's other requests, retried
    /// within the deadline, up to an answer with Lark's `code` 0.
    pub(crate) async fn exchange(
        &self,
        method: &'static str,
        url: String,
        body: Option<String>,
        lane: Lane<'_>,
    ) -> Result<(u16, Answer), BaseError> {
        let sent = Cell::new(false);
        let answer = self.attempts(method, url, body, lane, &sent).await;
        answer.map_err(|e| BaseError {
            sent: sent.get(),
            ..e
        })
    }

    /// The tries of `exchange`; `sent` is set (and a write's items told to the journal) just
    /// before the request first goes out.
    async fn attempts(
        &self,
        method: &'static str,
        url: String,
        body: Option<String>,
        lane: Lane<'_>,
        sent: &Cell<bool>,
    ) -> Result<(u16, Answer), BaseError> {
        let s = self.settings;
        let journal = match lane {
            Lane::Write(items, client_token) => Some((items, client_token)),
            Lane::Read => None,
        };
        let lane = self.lane_key(lane);
        let mut request: Request<()> = Request {
            method,
            display_url: url.clone(),
            url,
            bearer: None,
            body: body.map(Payload::Json),
            max_body_bytes: MAX_BODY_BYTES,
        };
        let mut attempt = 1;
        let mut renew = false;
        let mut renewed = false;
        let mut refused: Option<BaseError> = None;
        loop {
            if !self.wait_for_pace(lane).await {
                return Err(match refused {
                    Some(e) => e.after_attempts(attempt - 1).past_deadline(),
                    None => {
                        let now = self.platform.now_ms();
                        let paced = self.shared.pacer.next(lane, now) > now;
                        let doing = if paced {
                            "waiting for Lark's rate limit"
                        } else {
                            "the call"
                        };
                        BaseError::deadline(s.deadline_ms, doing)
                    }
                });
            }
            let ready = async {
                let within_ms = self.remaining_ms()?.ceil() as u32;
                let token = self
                    .until(
                        self.tokens.token(renew, within_ms),
                        "getting an access token",
                    )
                    .await??;
                let remaining = self.remaining_ms()?;
                Ok::<_, BaseError>((token, f64::from(s.timeout_ms).min(remaining).ceil() as u32))
            };
            let (token, timeout_ms) = match (ready.await, refused.take()) {
                (Ok(ready), last) => {
                    refused = last;
                    ready
                }
                // The deadline came while getting ready to ask again: Lark's refusal is the news.
                (Err(e), Some(last)) if e.code == BaseErrorCode::Timeout => {
                    return Err(last.after_attempts(attempt - 1).past_deadline());
                }
                (Err(e), _) => return Err(e),
            };
            renew = false;
            self.remember(&token);
            request.bearer = Some(token.clone());
            if let (Some((items, client_token)), false) = (journal, sent.get()) {
                self.note_sent(items, client_token);
            }
            sent.set(true);
            let error = match self.platform.send(&request, timeout_ms).await {
                Ok(answer) => match self.check(&answer, &token) {
                    Ok(answer) => {
                        self.shared.pacer.went_through(lane);
                        return Ok(answer);
                    }
                    Err(e) => e,
                },
                Err(e) => BaseError::from(e),
            };
            // Cut short by the deadline after Lark said to slow down: that refusal is the news.
            if let Some(last) = refused.take_if(|_| self.remaining_ms().is_err()) {
                return Err(last.after_attempts(attempt).past_deadline());
            }
            // Lark's rate: every request of the app waits for its reset, this one too, and
            // tries again for as long as the deadline allows.
            if error.code == BaseErrorCode::RateLimited {
                let now = self.platform.now_ms();
                let (reset, limit) = (error.rate_reset_ms, error.rate_limit);
                self.shared
                    .pacer
                    .slow_down(lane, now, reset, limit, self.platform.random());
                refused = Some(error);
                attempt += 1;
                continue;
            }
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
            if self.platform.now_ms() + wait >= self.deadline {
                return Err(error.after_attempts(attempt));
            }
            self.platform.sleep(wait as u32).await;
            attempt += 1;
        }
    }

    /// Waits for this request's slot in the app's lane; false when the slot, or the deadline,
    /// comes first (and then no slot is taken from the calls behind it).
    async fn wait_for_pace(&self, lane: u64) -> bool {
        loop {
            let now = self.platform.now_ms();
            if now + 1.0 > self.deadline || self.shared.pacer.next(lane, now) >= self.deadline {
                return false;
            }
            let at = self.shared.pacer.reserve(lane, now);
            if at <= now {
                return true;
            }
            self.platform.sleep((at - now).ceil() as u32).await;
            if self.shared.pacer.open(lane, self.platform.now_ms()) {
                return true;
            }
        }
    }

    /// The app's lane: its reads, or its writes to this base.
    fn lane_key(&self, lane: Lane<'_>) -> u64 {
        let app = self.tokens.app();
        match lane {
            Lane::Read => strong_hash(&format!("read {app}")),
            Lane::Write(..) => strong_hash(&format!("write {app} {}", self.settings.app_token)),
        }
    }

    fn remaining_ms(&self) -> Result<f64, BaseError> {
        let remaining = self.deadline - self.platform.now_ms();
        if remaining >= 1.0 {
            Ok(remaining)
        } else {
            Err(BaseError::deadline(self.settings.deadline_ms, "the call"))
        }
    }

    /// `work`, unless the deadline passes first.
    async fn until<F: Future>(&self, work: F, doing: &str) -> Result<F::Output, BaseError> {
        let remaining = self.remaining_ms()?;
        let timer = self.platform.timer(remaining.ceil() as u32);
        before(work, timer)
            .await
            .ok_or_else(|| BaseError::deadline(self.settings.deadline_ms, doing))
    }

    fn remember(&self, token: &str) {
        let mut sent = self.sent_tokens.borrow_mut();
        if !sent.iter().any(|(t, _)| t == token) {
            sent.push((token.to_owned(), SecretForms::new(token)));
            self.searched.borrow_mut().clear();
        }
    }

    /// `e` with every text that holds a token this call sent, in any spelling, withheld: server
    /// text reaches errors in messages, hints (column names), Lark's `msg` and columns.
    pub fn redact(&self, e: BaseError) -> BaseError {
        e.withhold(|text| self.holds_token(text))
    }

    fn holds_token(&self, text: &str) -> bool {
        if let Some(&found) = self.searched.borrow().get(text) {
            return found;
        }
        let found = self
            .sent_tokens
            .borrow()
            .iter()
            .any(|(_, forms)| forms.found_in(text));
        self.searched.borrow_mut().insert(text.to_owned(), found);
        found
    }

    /// Lark's envelope with `code` 0, or the error it stands for. Counts the answer against the
    /// call's budget, and reads it once.
    fn check(&self, answer: &HttpAnswer, token: &str) -> Result<(u16, Answer), BaseError> {
        let status = answer.status;
        let answered = self.answered.get().saturating_add(answer.body.len());
        self.answered.set(answered);
        if answered > MAX_CALL_BYTES {
            return Err(BaseError::too_much(MAX_CALL_BYTES));
        }
        let success = (200..=299).contains(&status);
        let decoded = crate::lenient::read_json::<Answer>(&answer.body, answer::MAX_VALUES);
        let code = decoded.as_ref().ok().and_then(|a| a.code.as_whole());
        let rated = |mut e: BaseError| {
            e.retry_after_s = answer.retry_after.as_deref().and_then(parse_retry_after);
            e.rate_reset_ms = answer
                .rate_reset
                .as_deref()
                .and_then(pace::parse_reset)
                .or(e.retry_after_s.map(|s| f64::from(s) * 1000.0));
            e.rate_limit = answer.rate_limit.as_deref().and_then(pace::parse_limit);
            e
        };
        match (code, decoded) {
            (None, Err(malformed)) if success => Err(BaseError {
                oversized: malformed == Malformed::TooManyValues,
                ..BaseError::bad_response(
                    malformed.problem("the body is not Lark's JSON envelope"),
                    Some(status),
                )
            }),
            (None, _) if success => Err(BaseError::bad_response(
                "the body is not Lark's JSON envelope",
                Some(status),
            )),
            (None, _) => Err(rated(BaseError::http(status))),
            (Some(code), Ok(answer)) if code != 0 => {
                let msg = answer.msg.into_text().unwrap_or_default();
                let msg = server_text(&msg, &SecretForms::new(token));
                Err(rated(BaseError::lark(code, msg, status)))
            }
            (Some(_), _) if !success => Err(rated(BaseError::http(status))),
            (Some(_), Ok(answer)) => Ok((status, answer)),
            (Some(_), Err(_)) => Err(BaseError::bad_response(
                "the body is not Lark's JSON envelope",
                Some(status),
            )),
        }
    }
}

/// The pages `total` items allow when `done` are read, `size` a page: what is left, plus a little
/// for items added while paging.
fn pages_for(total: u64, done: usize, size: usize) -> usize {
    let left = total.saturating_sub(done as u64);
    let pages = usize::try_from(left.div_ceil(size.max(1) as u64)).unwrap_or(usize::MAX);
    pages.saturating_add(SLACK_PAGES).max(1)
}

/// How a list or search is paged.
#[derive(Clone, Copy)]
struct Pages {
    size: usize,
    /// The most pages it may take, whatever `total` says.
    most: usize,
    limit: Option<usize>,
}

impl Pages {
    fn list(limit: Option<usize>) -> Self {
        Self {
            size: LIST_PAGE_SIZE,
            most: MAX_LIST_PAGES,
            limit,
        }
    }
}

/// The records batch_create created, each paired to the row it was made from, when the answer
/// proves the pairing: as many records as rows, each ID new to the call, and every cell that was
/// sent, of a type whose form Lark echoes, equal to the record's. `None` otherwise.
fn pair_created(
    batch: &[(usize, Row)],
    records: Vec<Record>,
    kinds: &HashMap<&str, FieldType>,
    seen: &mut HashSet<String>,
) -> Option<Vec<Record>> {
    if records.len() != batch.len() {
        return None;
    }
    for ((_, row), record) in batch.iter().zip(&records) {
        if seen.contains(&record.record_id) {
            return None;
        }
        for (column, sent) in &row.cells {
            let Some(&kind) = kinds.get(column.as_str()) else {
                continue;
            };
            let Some(want) = echo(sent, kind) else {
                continue;
            };
            if record.fields.get(column).and_then(|got| echo(got, kind)) != Some(want) {
                return None;
            }
        }
    }
    let ids: HashSet<&str> = records.iter().map(|r| r.record_id.as_str()).collect();
    if ids.len() != records.len() {
        return None;
    }
    seen.extend(records.iter().map(|r| r.record_id.clone()));
    Some(records)
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

/// A version 4 UUID, as Lark wants for `client_token`, from 16 bytes of `seeds`.
fn uuid_v4(seeds: &[f64; 2]) -> String {
    let mut bytes = [0u8; 16];
    for (half, seed) in bytes.chunks_mut(8).zip(seeds) {
        let bits = (seed.clamp(0.0, 1.0) * 2f64.powi(53)) as u64;
        let mixed = strong_hash(&bits.to_string());
        half.copy_from_slice(&mixed.to_le_bytes());
    }
    uuid_of(bytes)
}

/// The `client_token` of a create batch: made from the call's client token and the batch's JSON
/// body, so that the same rows sent again with the same client token get the same one, and other
/// rows never do.
fn batch_client_token(call: &str, body: &str) -> String {
    let mut bytes = [0u8; 16];
    for (half, salt) in bytes.chunks_mut(8).zip(["a", "b"]) {
        half.copy_from_slice(&strong_hash(&format!("{salt} {call} {body}")).to_le_bytes());
    }
    uuid_of(bytes)
}

fn uuid_of(mut bytes: [u8; 16]) -> String {
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

const AGAIN_UPDATE: &str = "check the records in the base; updating them again is safe";
const AGAIN_DELETE: &str = "check the records in the base; deleting them again is safe";

/// A write whose answer did not name this item's record.
fn unconfirmed(done: &str, again: &str) -> BaseError {
    BaseError::bad_response_with_hint(
        &format!("Lark's answer did not confirm this record was {done}; it may have been"),
        again,
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

    fn fail_batch(
        &mut self,
        positions: impl Iterator<Item = usize>,
        e: &BaseError,
        settings: &Settings,
    ) {
        for position in positions {
            self.set(position, Err(e.clone()));
        }
        if settings.stop_on_error {
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
