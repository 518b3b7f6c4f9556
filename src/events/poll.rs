//! Polling a table for records created or changed since the last poll, by a column Lark fills
//! itself (Created time or Last modified time).
//!
//! Each poll searches the table newest first by that column and reads pages until it reaches the
//! position's floor (a minute below the newest time already handed out), so a table of 10,000
//! records with 100 changes costs one search request. The position keeps the records handed out
//! at or above the floor, with their times: a record handed out is not handed out again at the
//! same time (records sharing a millisecond are told apart by their IDs), and one that Lark's
//! search shows late, below a newer one, is still handed out. The position moves only when a poll
//! has read everything down to it: a poll that fails part way hands out nothing and the next one
//! starts from the same place. Lark's date filters compare days, not
//! milliseconds, so the position is applied here rather than sent as a filter.

use crate::base::answer::{self, FieldInfo, Page};
use crate::base::api::{self, Filter, PageQuery, Record, RequestBody, SearchBody, Sort};
use crate::base::error::BaseError;
use crate::base::fields::FieldType;
use crate::base::flow::{Base, Lane, OutRecord, TokenSource};
use crate::base::params::{object, FromValue};
use crate::base::value::{take, Value};
use crate::http::Platform;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Records per search page (Lark's most).
pub const PAGE_SIZE: usize = 500;
/// A poll reads at most this many pages (1,000,000 records) before giving up.
const MAX_PAGES: usize = 2000;
/// Reads of the table per poll when records are deleted while it pages (see `read_since`).
const MAX_READS: usize = 3;

/// Record IDs a position keeps: more records than a table holds changed in one millisecond.
const MAX_POSITION_IDS: usize = 20_000;
/// How far below the newest time handed out the next poll reads again: a record Lark's search
/// shows only after a later one (search lag, servers' clocks apart) is handed out if it shows
/// within this.
const OVERLAP_MS: f64 = 60_000.0;

/// Where the last poll stopped: the newest time handed out, the floor below which records are
/// old, and the records handed out at or above the floor, each with the time it was handed out at.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Position {
    /// Unix milliseconds.
    pub time: f64,
    pub floor: f64,
    pub ids: Vec<String>,
    pub times: Vec<f64>,
}

/// As the node kept it in its static data (which anyone who edits the workflow can change). A
/// position without `floor` and `times` (an earlier version's) has its floor at its time.
impl FromValue for Position {
    fn from_value(value: Value) -> Option<Self> {
        let mut entries = object(value)?;
        let Value::Number(time) = take(&mut entries, "time") else {
            return None;
        };
        let Value::List(ids) = take(&mut entries, "ids") else {
            return None;
        };
        if !time.is_finite() || ids.len() > MAX_POSITION_IDS {
            return None;
        }
        let floor = match take(&mut entries, "floor") {
            Value::Null => time,
            Value::Number(floor) if floor.is_finite() && floor <= time => floor,
            _ => return None,
        };
        let times = match take(&mut entries, "times") {
            Value::Null => vec![time; ids.len()],
            Value::List(times) if times.len() == ids.len() => times
                .into_iter()
                .map(|t| match t {
                    Value::Number(t) if (floor..=time).contains(&t) => Some(t),
                    _ => None,
                })
                .collect::<Option<_>>()?,
            _ => return None,
        };
        let ids = ids.into_iter().map(|id| match id {
            Value::Text(id) if answer::is_id(&id, "rec") => Some(id),
            _ => None,
        });
        Some(Position {
            time,
            floor,
            ids: ids.collect::<Option<_>>()?,
            times,
        })
    }
}

#[derive(Debug, PartialEq, Serialize)]
pub struct PollOutput {
    /// New records, oldest first, in Search's shape.
    pub records: Vec<OutRecord>,
    /// Where the next poll starts.
    pub position: Position,
}

/// The columns a table can be polled by: the ones Lark fills with a time itself.
pub fn trigger_columns(columns: &[FieldInfo]) -> Vec<&FieldInfo> {
    columns
        .iter()
        .filter(|c| {
            matches!(
                FieldType::from_code(c.kind),
                FieldType::CreatedTime | FieldType::ModifiedTime
            )
        })
        .collect()
}

/// How far ahead of this machine's clock a record's time may be (Lark's clock may be ahead of
/// it); later times are left for the polls after they have come.
const MAX_AHEAD_MS: f64 = 10.0 * 60_000.0;

/// A record's time in `column`: Unix milliseconds, as Search reads these columns out.
pub fn time_of(record: &Record, column: &str) -> Option<f64> {
    let time = match record.fields.get(column)? {
        Value::Number(n) => *n,
        Value::Text(t) if t.len() <= 32 => t.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    time.is_finite().then_some(time)
}

/// The records read past `position`, oldest first, and the position after them. `read` may hold
/// a record more than once (pages shift while records change); the newest reading counts. A record
/// is new when its time is at or past the position's floor and it was not handed out at that time
/// or later; the next floor is `overlap` below the newest time, so that a record Lark's search
/// shows only after a later one was handed out is still handed out, once.
pub fn advance(
    position: &Position,
    read: Vec<(f64, Record)>,
    overlap: f64,
) -> (Vec<(f64, Record)>, Position) {
    let handed: HashMap<&str, f64> = position
        .ids
        .iter()
        .zip(&position.times)
        .map(|(id, &time)| (id.as_str(), time))
        .collect();
    let mut newest: HashMap<String, (f64, Record)> = HashMap::new();
    for (time, record) in read {
        let before = handed.get(record.record_id.as_str());
        let fresh = time >= position.floor && before.is_none_or(|&at| at < time);
        if !fresh {
            continue;
        }
        match newest.get(&record.record_id) {
            Some((seen, _)) if *seen >= time => {}
            _ => {
                newest.insert(record.record_id.clone(), (time, record));
            }
        }
    }
    let mut records: Vec<(f64, Record)> = newest.into_values().collect();
    records.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| a.1.record_id.cmp(&b.1.record_id))
    });
    if records.is_empty() {
        return (records, position.clone());
    }
    let top = records
        .iter()
        .map(|(time, _)| *time)
        .fold(position.time, f64::max);
    let mut kept: HashMap<&str, f64> = handed;
    for (time, record) in &records {
        kept.insert(record.record_id.as_str(), *time);
    }
    let mut floor = position.floor.max(top - overlap);
    let mut entries: Vec<(&str, f64)> = kept.into_iter().filter(|(_, t)| *t >= floor).collect();
    entries.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    // Too many to keep: the floor rises to the oldest time that can be kept whole (ties at the
    // newest time are kept however many; `keepable` refuses more than it can take).
    if entries.len() > MAX_POSITION_IDS {
        if let Some(&(_, cut)) = entries.get(MAX_POSITION_IDS) {
            floor = entries
                .iter()
                .map(|(_, t)| *t)
                .find(|t| *t > cut)
                .unwrap_or(top);
            entries.retain(|(_, t)| *t >= floor);
        }
    }
    let (ids, times) = entries
        .into_iter()
        .map(|(id, t)| (id.to_owned(), t))
        .unzip();
    (
        records,
        Position {
            time: top,
            floor,
            ids,
            times,
        },
    )
}

/// What a poll is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// n8n's schedule: what is new since `position` (none: start from now, hand out nothing).
    Scheduled,
    /// "Fetch Test Event": the newest record, leaving the position where it is.
    Manual,
}

/// One poll of `table_id` by `column` (one of `trigger_columns(columns)`), with the caller's
/// optional filter.
pub async fn poll<P: Platform, T: TokenSource>(
    base: &Base<'_, P, T>,
    table_id: &str,
    columns: &[FieldInfo],
    column: &str,
    filter: Option<Filter>,
    position: Option<Position>,
    mode: Mode,
) -> Result<PollOutput, BaseError> {
    if !trigger_columns(columns)
        .iter()
        .any(|c| c.field_name == column)
    {
        return Err(BaseError::invalid(
            "column",
            "is not a Created time or Last modified time column of the table: add one in Lark \
             Base (+ → Created time, or Last modified time) and choose it",
        ));
    }
    let body = SearchBody {
        sort: vec![Sort {
            field_name: column.to_owned(),
            desc: true,
        }],
        filter,
        ..SearchBody::default()
    };
    let reader = Reader {
        base,
        table_id,
        column,
        body,
    };
    let out = |records: Vec<(f64, Record)>| records.into_iter().map(|(_, r)| base.out(r)).collect();
    let (current, start) = match (mode, position) {
        (Mode::Manual, position) => {
            let (newest, _) = reader.read_since(None, 1).await?;
            let records = newest.into_iter().take(1).collect();
            return Ok(PollOutput {
                records: out(records),
                position: position.unwrap_or_default(),
            });
        }
        (Mode::Scheduled, Some(position)) => (position.clone(), Some(position)),
        (Mode::Scheduled, None) => (Position::default(), None),
    };
    let Some(start) = start else {
        // The first poll: the newest records mark where the next one starts.
        let (newest, _) = reader.read_since(None, PAGE_SIZE).await?;
        // No overlap: records older than the newest predate the trigger, late or not.
        let (_, position) = advance(&current, newest, 0.0);
        return Ok(PollOutput {
            records: Vec::new(),
            position: keepable(position)?,
        });
    };
    for _ in 0..MAX_READS {
        let (read, stable) = reader.read_since(Some(start.floor), PAGE_SIZE).await?;
        if stable {
            let (records, position) = advance(&start, read, OVERLAP_MS);
            return Ok(PollOutput {
                records: out(records),
                position: keepable(position)?,
            });
        }
    }
    // Records kept being deleted while this poll paged: hand out nothing rather than risk
    // skipping one; the next poll reads again from the same place.
    Ok(PollOutput {
        records: Vec::new(),
        position: start,
    })
}

/// A position the next poll will take back (see `Position::from_value`).
fn keepable(position: Position) -> Result<Position, BaseError> {
    if position.ids.len() > MAX_POSITION_IDS {
        return Err(BaseError::bad_response(
            "more than 20,000 records share one time in the column",
            None,
        ));
    }
    Ok(position)
}

struct Reader<'r, 'a, P: Platform, T: TokenSource> {
    base: &'r Base<'a, P, T>,
    table_id: &'r str,
    column: &'r str,
    body: SearchBody,
}

impl<P: Platform, T: TokenSource> Reader<'_, '_, P, T> {
    /// Records newest first, page by page, until a page reaches below `since` (or, without it,
    /// below the newest time). `stable` is false when Lark's count of matching records fell
    /// while paging: a deletion shifts later records onto pages already read, so one may have
    /// been skipped.
    async fn read_since(
        &self,
        since: Option<f64>,
        page_size: usize,
    ) -> Result<(Vec<(f64, Record)>, bool), BaseError> {
        let s = self.base.settings();
        let body = RequestBody::Search(self.body.clone()).json();
        let mut page = PageQuery {
            page_size: Some(page_size),
            page_token: None,
        };
        let mut read: Vec<(f64, Record)> = Vec::new();
        let mut first_total: Option<u64> = None;
        let mut stable = true;
        let mut tokens_seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            let url = api::records_url(
                &s.base_url,
                &s.app_token,
                self.table_id,
                "search",
                &page.query(),
            );
            let answer: Page<Record> = self
                .base
                .call("POST", url, Some(body.clone()), Lane::Read, |data| {
                    answer::page(data, &answer::record)
                })
                .await?;
            if answer.items.len() > page_size {
                return Err(BaseError::bad_response(
                    "a page held more items than were asked for",
                    None,
                ));
            }
            if let (Some(first), Some(now)) = (first_total, answer.total) {
                stable &= now >= first;
            }
            first_total = first_total.or(answer.total);
            let empty = answer.items.is_empty();
            let mut lowest: Option<f64> = None;
            // A time Lark cannot have written yet is not a time: taken as one, it would move
            // the position past every change to come, and the trigger would stop for good.
            let latest = self.base.now_ms() + MAX_AHEAD_MS;
            for record in answer.items {
                if let Some(time) = time_of(&record, self.column).filter(|&t| t <= latest) {
                    lowest = Some(lowest.map_or(time, |l: f64| l.min(time)));
                    read.push((time, record));
                }
            }
            // Without a position, reading stops below the newest time: enough for its ties.
            let floor = since.or_else(|| read.iter().map(|(t, _)| *t).reduce(f64::max));
            let below = match (lowest, floor) {
                (Some(lowest), Some(floor)) => lowest < floor,
                _ => true,
            };
            if !answer.has_more || below || page_size < PAGE_SIZE {
                return Ok((read, stable));
            }
            match answer.page_token {
                Some(next) if !empty && tokens_seen.insert(next.clone()) => {
                    page.page_token = Some(next);
                }
                _ => {
                    return Err(BaseError::bad_response(
                        "the pages do not move on: has_more with an empty page, or without a new \
                         page_token",
                        None,
                    ))
                }
            }
        }
        Err(BaseError::bad_response(
            "the search kept saying has_more past 1,000,000 records",
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str) -> Record {
        Record {
            record_id: id.to_owned(),
            fields: Value::Object(Vec::new()),
        }
    }

    fn ids(records: &[(f64, Record)]) -> Vec<&str> {
        records.iter().map(|(_, r)| r.record_id.as_str()).collect()
    }

    /// A position at `time` with its floor there and `ids` handed out at it.
    fn at(time: f64, ids: &[&str]) -> Position {
        Position {
            time,
            floor: time,
            ids: ids.iter().map(|id| (*id).to_owned()).collect(),
            times: vec![time; ids.len()],
        }
    }

    #[test]
    fn a_position_is_read_back_only_as_a_poll_left_it() {
        let read = |json: &str| Position::from_value(serde_json::from_str(json).unwrap());
        // As an earlier version kept it: the floor at the time.
        assert_eq!(
            read(r#"{"time":5,"ids":["recA","recB"]}"#),
            Some(at(5.0, &["recA", "recB"]))
        );
        let kept = Position {
            time: 9.0,
            floor: 4.0,
            ids: vec!["recA".into(), "recB".into()],
            times: vec![9.0, 4.0],
        };
        assert_eq!(
            read(&serde_json::to_string(&kept).unwrap()),
            Some(kept.clone())
        );
        let too_many = format!(
            r#"{{"time":5,"ids":[{}]}}"#,
            vec![r#""recA""#; 20_001].join(",")
        );
        for hostile in [
            r#"{"time":"5","ids":[]}"#,
            r#"{"time":5}"#,
            r#"{"time":5,"ids":"recA"}"#,
            r#"{"time":5,"ids":[1]}"#,
            r#"{"time":5,"ids":["../x"]}"#,
            r#"{"time":5,"ids":["recA\u0000"]}"#,
            r#"{"time":null,"ids":[]}"#,
            r#"[5,[]]"#,
            r#"{"time":5,"floor":6,"ids":[]}"#,
            r#"{"time":5,"floor":"4","ids":[]}"#,
            r#"{"time":5,"floor":4,"ids":["recA"],"times":[]}"#,
            r#"{"time":5,"floor":4,"ids":["recA"],"times":[3]}"#,
            r#"{"time":5,"floor":4,"ids":["recA"],"times":[6]}"#,
            &too_many,
        ] {
            assert_eq!(read(hostile), None, "{}", &hostile[..hostile.len().min(40)]);
        }
        let mut cap = at(1.0, &[]);
        cap.ids = vec!["recA".into(); MAX_POSITION_IDS + 1];
        assert!(keepable(cap).is_err());
    }

    #[test]
    fn ties_at_the_position_are_told_apart_by_id() {
        let read = vec![
            (101.0, rec("d")),
            (100.0, rec("c")),
            (100.0, rec("b")),
            (100.0, rec("a")),
            (99.0, rec("z")),
        ];
        let (new, position) = advance(&at(100.0, &["a", "b"]), read, 0.0);
        assert_eq!(ids(&new), ["c", "d"]);
        assert_eq!(position, at(101.0, &["d"]));
    }

    #[test]
    fn new_ties_join_the_position() {
        let (new, position) = advance(
            &at(100.0, &["a"]),
            vec![(100.0, rec("b")), (100.0, rec("a"))],
            0.0,
        );
        assert_eq!(ids(&new), ["b"]);
        assert_eq!(position.ids, ["a", "b"]);
        let (none, same) = advance(&position, vec![(100.0, rec("b")), (100.0, rec("a"))], 0.0);
        assert!(none.is_empty());
        assert_eq!(same, position);
    }

    #[test]
    fn a_record_read_twice_counts_once_at_its_newest_time() {
        let (new, position) = advance(
            &Position::default(),
            vec![(5.0, rec("a")), (7.0, rec("a")), (6.0, rec("b"))],
            0.0,
        );
        assert_eq!(
            new.iter()
                .map(|(t, r)| (*t, r.record_id.as_str()))
                .collect::<Vec<_>>(),
            [(6.0, "b"), (7.0, "a")]
        );
        assert_eq!(position, at(7.0, &["a"]));
    }

    #[test]
    fn a_record_that_shows_late_within_the_overlap_is_handed_out_once() {
        let (first, position) = advance(&at(100.0, &[]), vec![(200.0, rec("b"))], 50.0);
        assert_eq!(ids(&first), ["b"]);
        assert_eq!((position.time, position.floor), (200.0, 150.0));
        // "a" (at 180) shows only now, below the newest time handed out: handed out, once.
        let read = vec![(200.0, rec("b")), (180.0, rec("a"))];
        let (late, position) = advance(&position, read.clone(), 50.0);
        assert_eq!(ids(&late), ["a"]);
        let (again, _) = advance(&position, read, 50.0);
        assert!(again.is_empty());
        // Below the floor it is old; an edit moves a record's time, and it is new again.
        let (old, _) = advance(&position, vec![(140.0, rec("c"))], 50.0);
        assert!(old.is_empty());
        let (edited, _) = advance(&position, vec![(210.0, rec("a"))], 50.0);
        assert_eq!(ids(&edited), ["a"]);
    }

    #[test]
    fn a_position_too_large_to_keep_raises_its_floor() {
        let read: Vec<(f64, Record)> = (0..MAX_POSITION_IDS + 10)
            .map(|n| (1000.0 + n as f64 / 100.0, rec(&format!("r{n}"))))
            .collect();
        let (new, position) = advance(&at(0.0, &[]), read, 60_000.0);
        assert_eq!(new.len(), MAX_POSITION_IDS + 10);
        assert!(position.ids.len() <= MAX_POSITION_IDS);
        assert!(position.floor > 1000.0);
        assert!(position.times.iter().all(|t| *t >= position.floor));
    }
}
