//! From input rows to batches of Lark Base calls: converting each row's values for its columns,
//! cutting batches at Lark's limits, and planning an upsert (which rows update which records, which
//! are created, and which are refused because their key is ambiguous).

use super::api::{Condition, Filter, Record};
use super::convert::{self, key_text};
use super::error::{BaseError, BaseErrorCode};
use super::fields::{Field, FieldType};
use super::value::Value;
use serde::Deserialize;
use std::collections::HashMap;

/// Records per batch_create, batch_update and batch_delete call (Lark: more is code 1254104).
pub const MAX_WRITE_BATCH: usize = 500;
/// Record IDs per batch_get call.
pub const MAX_GET_BATCH: usize = 100;
/// Records per search page.
pub const MAX_PAGE_SIZE: usize = 500;
/// An upsert looks its keys up with a filter (one `is` condition per distinct key) up to this many
/// keys; past it, it reads the key columns of the whole table, page by page, which costs less.
pub const MAX_FILTER_KEYS: usize = 50;
/// Input rows per call: the node hands over all items of one execution.
pub const MAX_ROWS: usize = 100_000;

/// One input item's row, as the caller gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawRow {
    /// The item's index, for messages; the row's position when left out.
    #[serde(default)]
    pub item: Option<u32>,
    /// For update, delete and get.
    #[serde(default, alias = "record_id")]
    pub record_id: Option<String>,
    /// Column name to value, for create, update and upsert.
    #[serde(default)]
    pub fields: Value,
    /// Fields the JS entry left out of `fields` because their values were too large to copy in.
    #[serde(default, rename = "tooLarge")]
    pub too_large: Vec<String>,
}

/// Columns a row names that the table does not have (or cannot write): left out, or an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// For rows mapped automatically from whole input items, which hold other data too.
    Ignore,
    /// For columns mapped one by one: a name the table lacks is a mistake.
    Error,
}

/// A row ready to send: its item and its converted cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub item: u32,
    pub record_id: Option<String>,
    /// Cells by column name, converted; `Null` clears a cell on update.
    pub cells: Vec<(String, Value)>,
}

impl Row {
    pub fn cell(&self, column: &str) -> Option<&Value> {
        self.cells.iter().find(|(c, _)| c == column).map(|(_, v)| v)
    }

    /// The cells to create a record with: empty ones are left out, as Lark leaves them.
    pub fn fields_for_create(&self) -> Value {
        Value::Object(
            self.cells
                .iter()
                .filter(|(_, v)| !v.is_null())
                .cloned()
                .collect(),
        )
    }

    pub fn fields_for_update(&self) -> Value {
        Value::Object(self.cells.clone())
    }
}

/// Which of a row's parts an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    Fields,
    RecordId,
    Both,
}

/// Each row's item number: its own `item`, or its position.
pub fn item_numbers(raw: &[RawRow]) -> Vec<u32> {
    raw.iter()
        .enumerate()
        .map(|(position, row)| {
            row.item
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX))
        })
        .collect()
}

/// Each raw row converted for the table's columns, or the error for its item.
pub fn prepare(
    raw: Vec<RawRow>,
    columns: &[Field],
    unknown: Unknown,
    needs: Needs,
) -> Vec<Result<Row, BaseError>> {
    let by_name: HashMap<&str, &Field> = columns.iter().map(|f| (f.name.as_str(), f)).collect();
    raw.into_iter()
        .enumerate()
        .map(|(position, raw)| {
            let item = raw
                .item
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            let record_id = match needs {
                Needs::Fields => None,
                Needs::RecordId | Needs::Both => Some(record_id(raw.record_id.as_deref())?),
            };
            let cells = match needs {
                Needs::RecordId => Vec::new(),
                Needs::Fields | Needs::Both => {
                    refuse_too_large(&raw.too_large, &by_name, unknown)?;
                    cells(raw.fields, &by_name, columns, unknown)?
                }
            };
            Ok(Row {
                item,
                record_id,
                cells,
            })
        })
        .collect()
}

fn record_id(id: Option<&str>) -> Result<String, BaseError> {
    let id = id.unwrap_or_default().trim();
    let fine = !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if fine {
        Ok(id.to_owned())
    } else {
        Err(BaseError::new(
            BaseErrorCode::InvalidValue,
            "the record ID is missing or not a record ID (rec..., letters and digits)".to_owned(),
            "give the record_id of a record, e.g. from a Search or Create step",
        ))
    }
}

/// A value too large to copy in fails its row when it was meant for a column (or mapped by hand).
fn refuse_too_large(
    too_large: &[String],
    by_name: &HashMap<&str, &Field>,
    unknown: Unknown,
) -> Result<(), BaseError> {
    let meant = |name: &&String| match by_name.get(name.as_str()) {
        Some(field) => unknown == Unknown::Error || !field.kind.is_read_only(),
        None => unknown == Unknown::Error,
    };
    match too_large.iter().find(meant) {
        Some(name) => Err(convert::too_large(name)),
        None => Ok(()),
    }
}

fn cells(
    fields: Value,
    by_name: &HashMap<&str, &Field>,
    columns: &[Field],
    unknown: Unknown,
) -> Result<Vec<(String, Value)>, BaseError> {
    let entries = match fields {
        Value::Object(entries) => entries,
        Value::Null => Vec::new(),
        other => {
            return Err(BaseError::new(
                BaseErrorCode::InvalidValue,
                format!("the item's columns must be an object, not {}", other.kind()),
                "map the columns, or pass an object of column names to values",
            ))
        }
    };
    let mut cells = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        match by_name.get(name.as_str()) {
            Some(field) if unknown == Unknown::Ignore && field.kind.is_read_only() => {}
            Some(field) => cells.push((name, convert::to_cell(&value, field)?)),
            None if unknown == Unknown::Ignore => {}
            None => {
                // Named as the message names it: a long name, searched for secrets in the error of
                // each of 1,000 items, took seconds.
                let shown = shown_text(&name);
                return Err(BaseError {
                    column: Some(shown.clone()),
                    ..BaseError::new(
                        BaseErrorCode::InvalidValue,
                        format!("the table has no column named '{shown}'"),
                        &format!("the table's columns are: {}", column_list(columns)),
                    )
                });
            }
        }
    }
    if cells.is_empty() {
        return Err(BaseError::new(
            BaseErrorCode::InvalidValue,
            "nothing to write: none of the item's fields is a column of the table".to_owned(),
            &format!(
                "name the input fields after the columns, or map them by hand; the columns are: {}",
                column_list(columns)
            ),
        ));
    }
    Ok(cells)
}

/// The table's column names for a hint: the first 30.
fn column_list(columns: &[Field]) -> String {
    const SHOWN: usize = 30;
    let mut names: Vec<String> = columns
        .iter()
        .take(SHOWN)
        .map(|f| shown_text(&f.name))
        .collect();
    if columns.len() > SHOWN {
        names.push("...".to_owned());
    }
    names.join(", ")
}

/// A name or value from the server or the input as a message shows it: whole, or, past 100
/// characters, only its length (a text cut short could leave part of a secret in it, where the
/// search for it would no longer see the whole).
fn shown_text(text: &str) -> String {
    const MAX_CHARS: usize = 100;
    match text.chars().nth(MAX_CHARS) {
        None => text.to_owned(),
        Some(_) => format!("(a text of {} characters)", text.chars().count()),
    }
}

/// The key columns, checked: each must exist and be of a type that compares exactly.
pub fn key_columns(names: &[String], columns: &[Field]) -> Result<Vec<Field>, BaseError> {
    if names.is_empty() {
        return Err(BaseError::invalid(
            "keys",
            "is empty: choose the column(s) that identify a record, e.g. an e-mail or an order number",
        ));
    }
    let mut keys = Vec::with_capacity(names.len());
    for name in names {
        let field = columns.iter().find(|f| &f.name == name).ok_or_else(|| {
            BaseError::invalid(
                "keys",
                &format!(
                    "names '{name}', which is not a column of the table (columns: {})",
                    column_list(columns)
                ),
            )
        })?;
        if !field.kind.can_be_key() {
            return Err(BaseError::invalid(
                "keys",
                &format!(
                    "names '{name}', a {} column, which cannot be matched on: use a text, number, \
                     single select, date, phone or URL column",
                    field.kind.name()
                ),
            ));
        }
        if !keys.iter().any(|k: &Field| &k.name == name) {
            keys.push(field.clone());
        }
    }
    Ok(keys)
}

/// A key: the compared text of each key column, in the order of `keys`.
pub type Key = Vec<String>;

fn row_key(row: &Row, keys: &[Field]) -> Result<Key, BaseError> {
    keys.iter()
        .map(|k| {
            row.cell(&k.name)
                .and_then(|cell| key_text(cell, k.kind))
                .ok_or_else(|| BaseError {
                    column: Some(k.name.clone()),
                    ..BaseError::new(
                        BaseErrorCode::InvalidValue,
                        format!("key column '{}' is empty in this item", k.name),
                        "every item needs a value in each key column to be matched",
                    )
                })
        })
        .collect()
}

/// `record` with only its cells in `keys`, each as the text it compares as: what an upsert's
/// lookup keeps of each record it reads. (Kept as values, a server's key cells of nested one-entry
/// objects took 25 times their JSON's size, and two lookups filled the module's 4 GiB.)
pub fn key_cells(record: Record, keys: &[Field]) -> Record {
    let fields = match record.fields {
        Value::Object(cells) => Value::Object(
            cells
                .into_iter()
                .filter_map(|(name, cell)| {
                    let key = keys.iter().find(|k| k.name == name)?;
                    Some((name, Value::Text(key_text(&cell, key.kind)?)))
                })
                .collect(),
        ),
        _ => Value::Null,
    };
    Record { fields, ..record }
}

/// The record IDs of the table's rows by key; rows with an empty key cell match nothing.
pub fn index_records(records: &[Record], keys: &[Field]) -> HashMap<Key, Vec<String>> {
    let mut index: HashMap<Key, Vec<String>> = HashMap::new();
    for record in records {
        let key: Option<Key> = keys
            .iter()
            .map(|k| record.fields.get(&k.name).and_then(|c| key_text(c, k.kind)))
            .collect();
        if let Some(key) = key {
            let ids = index.entry(key).or_default();
            // A record Lark lists twice under one key is still one record.
            if !ids.contains(&record.record_id) {
                ids.push(record.record_id.clone());
            }
        }
    }
    index
}

/// The keys whose record Lark lists under another key too, each with that other key: writing to
/// it for either would be a guess.
fn keys_sharing_a_record(existing: &HashMap<Key, Vec<String>>) -> HashMap<&Key, &Key> {
    let mut keys_by_record: HashMap<&str, Vec<&Key>> = HashMap::new();
    for (key, ids) in existing {
        for id in ids {
            keys_by_record.entry(id).or_default().push(key);
        }
    }
    let mut shared = HashMap::new();
    for keys in keys_by_record.values().filter(|keys| keys.len() > 1) {
        for (at, key) in keys.iter().enumerate() {
            let other = keys
                .get(if at == 0 { 1 } else { 0 })
                .copied()
                .unwrap_or(key);
            shared.insert(*key, other);
        }
    }
    shared
}

/// The items sharing a key but `item`: up to five, and how many more, so that a message stays
/// short (and quick to make) however many rows share it.
fn others(items: &[u32], item: u32) -> String {
    const SHOWN: usize = 5;
    let shown: Vec<String> = items
        .iter()
        .filter(|&&i| i != item)
        .take(SHOWN)
        .map(u32::to_string)
        .collect();
    let more = items.len().saturating_sub(shown.len() + 1);
    match more {
        0 => shown.join(", "),
        _ => format!("{} and {more} more", shown.join(", ")),
    }
}

/// A key as a message shows it: the item's own values.
fn shown(key: &Key) -> String {
    key.iter()
        .map(|part| format!("'{}'", shown_text(part)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an upsert does with one row.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Update { row: Row, record_id: String },
    Create { row: Row },
    Failed { item: u32, error: BaseError },
}

/// The rows' keys, for looking them up: each distinct key once, in input order.
pub fn wanted_keys(rows: &[Result<Row, BaseError>], keys: &[Field]) -> Vec<Key> {
    let mut seen = std::collections::HashSet::new();
    rows.iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|row| row_key(row, keys).ok())
        .filter(|key| seen.insert(key.clone()))
        .collect()
}

/// A search filter that narrows the lookup to the wanted keys, on the first key column Lark can
/// filter on exactly; `None` when there are too many keys or no such column (then the whole
/// table's key columns are read). Matching is done here in both cases, on every key column.
pub fn lookup_filter(keys: &[Field], wanted: &[Key]) -> Option<Filter> {
    if wanted.is_empty() || wanted.len() > MAX_FILTER_KEYS {
        return None;
    }
    let (at, column) = keys.iter().enumerate().find(|(_, k)| {
        matches!(
            k.kind,
            FieldType::Text | FieldType::Phone | FieldType::Number | FieldType::SingleSelect
        )
    })?;
    let mut values: Vec<&String> = wanted.iter().filter_map(|key| key.get(at)).collect();
    values.sort();
    values.dedup();
    Some(Filter {
        conjunction: "or".to_owned(),
        conditions: values
            .into_iter()
            .map(|v| Condition {
                field_name: column.name.clone(),
                operator: "is".to_owned(),
                value: vec![v.clone()],
            })
            .collect(),
        children: Vec::new(),
    })
}

/// Plans an upsert: a row whose key matches one record updates it, a row whose key matches none
/// is created, and a row whose key is shared by other rows, or matches several records, fails
/// with an error that says so. Nothing is guessed. Steps come back in input order.
pub fn plan_upsert(
    rows: Vec<Result<Row, BaseError>>,
    keys: &[Field],
    existing: &HashMap<Key, Vec<String>>,
) -> Vec<Step> {
    let keyed: Vec<Result<(Row, Key), (u32, BaseError)>> = rows
        .into_iter()
        .enumerate()
        .map(|(position, row)| match row {
            Ok(row) => match row_key(&row, keys) {
                Ok(key) => Ok((row, key)),
                Err(e) => Err((row.item, e)),
            },
            Err(e) => Err((u32::try_from(position).unwrap_or(u32::MAX), e)),
        })
        .collect();
    let mut items_by_key: HashMap<&Key, Vec<u32>> = HashMap::new();
    for (row, key) in keyed.iter().flatten() {
        items_by_key.entry(key).or_default().push(row.item);
    }
    let key_names = keys
        .iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let shared: HashMap<Key, Vec<u32>> = items_by_key
        .into_iter()
        .filter(|(_, items)| items.len() > 1)
        .map(|(key, items)| (key.clone(), items))
        .collect();
    let sharing_a_record = keys_sharing_a_record(existing);
    keyed
        .into_iter()
        .map(|entry| {
            let (row, key) = match entry {
                Ok(pair) => pair,
                Err((item, error)) => return Step::Failed { item, error },
            };
            if let Some(items) = shared.get(&key) {
                let error = duplicate(
                    &key_names,
                    format!(
                        "the same key ({key_names}) as item {}: which of them to write would be a guess",
                        others(items, row.item)
                    ),
                    "make the key unique in the input (e.g. remove duplicates first), then run again",
                );
                return Step::Failed {
                    item: row.item,
                    error,
                };
            }
            if let Some(other) = sharing_a_record.get(&key) {
                let error = duplicate(
                    &key_names,
                    format!(
                        "Lark lists the record with this item's key ({}) under another key too ({}): \
                         which of them to write would be a guess",
                        shown(&key),
                        shown(other)
                    ),
                    "check the table's key column for that record, then run again",
                );
                return Step::Failed {
                    item: row.item,
                    error,
                };
            }
            match existing.get(&key).map(Vec::as_slice) {
                None | Some([]) => Step::Create { row },
                Some([record_id]) => Step::Update {
                    record_id: record_id.clone(),
                    row,
                },
                Some(several) => {
                    let shown: Vec<&str> = several.iter().take(5).map(String::as_str).collect();
                    let error = duplicate(
                        &key_names,
                        format!(
                            "the key ({key_names}) matches {} records in the table ({}{}): which to update would be a guess",
                            several.len(),
                            shown.join(", "),
                            if several.len() > 5 { ", ..." } else { "" }
                        ),
                        "remove the duplicate rows from the table, or match on more columns",
                    );
                    Step::Failed {
                        item: row.item,
                        error,
                    }
                }
            }
        })
        .collect()
}

fn duplicate(columns: &str, message: String, hint: &str) -> BaseError {
    BaseError {
        column: Some(columns.to_owned()),
        ..BaseError::new(BaseErrorCode::DuplicateKey, message, hint)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn columns() -> Vec<Field> {
        vec![
            Field::new("f1", "Email", 1, None),
            Field::new("f2", "Amount", 2, None),
            Field::new("f3", "Due", 5, None),
            Field::new("f4", "Total", 20, None),
            Field::new("f5", "Tags", 4, None),
        ]
    }

    fn raw(json: &str) -> Vec<RawRow> {
        serde_json::from_str(json).unwrap()
    }

    fn rows(json: &str) -> Vec<Result<Row, BaseError>> {
        prepare(raw(json), &columns(), Unknown::Ignore, Needs::Fields)
    }

    #[test]
    fn rows_are_converted_and_unknown_columns_follow_the_mode() {
        let input = r#"[{"fields":{"Email":"a@x.vn","Amount":"12","Due":"2026-11-26","access_token":"t-x","Total":3}}]"#;
        let ignored = prepare(raw(input), &columns(), Unknown::Ignore, Needs::Fields);
        let row = ignored[0].as_ref().unwrap();
        assert_eq!(row.item, 0);
        assert_eq!(
            row.cells,
            vec![
                ("Email".into(), Value::text("a@x.vn")),
                ("Amount".into(), Value::Number(12.0)),
                ("Due".into(), Value::Number(1_795_651_200_000.0)),
            ]
        );
        let strict = prepare(raw(input), &columns(), Unknown::Error, Needs::Fields);
        let e = strict[0].as_ref().unwrap_err();
        assert_eq!(e.message, "the table has no column named 'access_token'");
        assert!(
            e.hint.contains("Email, Amount, Due, Total, Tags"),
            "{}",
            e.hint
        );
        let total = prepare(
            raw(r#"[{"fields":{"Total":1}}]"#),
            &columns(),
            Unknown::Error,
            Needs::Fields,
        );
        assert!(total[0].as_ref().unwrap_err().message.contains("read-only"));
    }

    #[test]
    fn a_bad_value_fails_its_item_only() {
        let out = rows(
            r#"[{"fields":{"Email":"a"}},{"item":7,"fields":{"Email":"b","Amount":"lots"}},{"fields":{"Email":"c"}}]"#,
        );
        assert!(out[0].is_ok() && out[2].is_ok());
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(
            (e.code, e.column.as_deref()),
            (BaseErrorCode::InvalidValue, Some("Amount"))
        );
        assert_eq!(out[2].as_ref().unwrap().item, 2);
    }

    #[test]
    fn empty_rows_say_which_columns_exist() {
        let out = rows(r#"[{"fields":{"nope":1}},{"fields":[1]},{}]"#);
        assert!(out[0]
            .as_ref()
            .unwrap_err()
            .message
            .starts_with("nothing to write"));
        assert!(out[1].as_ref().unwrap_err().message.contains("not a list"));
        assert!(out[2].is_err());
    }

    #[test]
    fn record_ids_are_checked() {
        let out = prepare(
            raw(r#"[{"recordId":"recA1"},{"record_id":" recB2 "},{"recordId":"rec/../x"},{}]"#),
            &columns(),
            Unknown::Error,
            Needs::RecordId,
        );
        assert_eq!(out[0].as_ref().unwrap().record_id.as_deref(), Some("recA1"));
        assert_eq!(out[1].as_ref().unwrap().record_id.as_deref(), Some("recB2"));
        assert!(out[2].is_err() && out[3].is_err());
    }

    #[test]
    fn create_leaves_empty_cells_out_and_update_clears_them() {
        let out = rows(r#"[{"fields":{"Email":"a","Amount":null}}]"#);
        let row = out[0].as_ref().unwrap();
        assert_eq!(
            serde_json::to_string(&row.fields_for_create()).unwrap(),
            r#"{"Email":"a"}"#
        );
        assert_eq!(
            serde_json::to_string(&row.fields_for_update()).unwrap(),
            r#"{"Email":"a","Amount":null}"#
        );
    }

    #[test]
    fn key_columns_must_exist_and_compare_exactly() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            key_columns(&names(&["Email", "Due", "Email"]), &columns())
                .unwrap()
                .len(),
            2
        );
        for bad in [&[][..], &["Nope"], &["Tags"], &["Total"]] {
            let e = key_columns(&names(bad), &columns()).unwrap_err();
            assert_eq!(e.code, BaseErrorCode::InvalidParams, "{bad:?}");
        }
    }

    fn record(id: &str, fields: &str) -> Record {
        Record {
            record_id: id.into(),
            fields: serde_json::from_str(fields).unwrap(),
        }
    }

    #[test]
    fn upsert_updates_matches_creates_the_rest_and_guesses_nothing() {
        let keys = key_columns(&["Email".into()], &columns()).unwrap();
        let table = [
            record("recA", r#"{"Email":[{"type":"text","text":"a@x.vn"}]}"#),
            record("recD1", r#"{"Email":"d@x.vn"}"#),
            record("recD2", r#"{"Email":[{"type":"text","text":"d@x.vn"}]}"#),
            record("recEmpty", r#"{"Amount":1}"#),
        ];
        let existing = index_records(&table, &keys);
        let input = rows(
            r#"[
            {"fields":{"Email":"a@x.vn","Amount":1}},
            {"fields":{"Email":"new@x.vn"}},
            {"fields":{"Email":"twice@x.vn"}},
            {"fields":{"Email":"d@x.vn"}},
            {"fields":{"Email":"twice@x.vn"}},
            {"fields":{"Amount":2}},
            {"fields":{"Email":"x","Amount":"bad"}}
        ]"#,
        );
        let steps = plan_upsert(input, &keys, &existing);
        assert!(
            matches!(&steps[0], Step::Update { record_id, row } if record_id == "recA" && row.item == 0)
        );
        assert!(matches!(&steps[1], Step::Create { row } if row.item == 1));
        let failed = |i: usize| match &steps[i] {
            Step::Failed { item, error } => (*item, error.clone()),
            other => panic!("step {i}: {other:?}"),
        };
        let (item, e) = failed(2);
        assert_eq!((item, e.code), (2, BaseErrorCode::DuplicateKey));
        assert!(e.message.contains("as item 4"), "{}", e.message);
        assert!(failed(4).1.message.contains("as item 2"));
        let (_, e) = failed(3);
        assert_eq!(e.code, BaseErrorCode::DuplicateKey);
        assert!(
            e.message
                .contains("matches 2 records in the table (recD1, recD2)"),
            "{}",
            e.message
        );
        assert!(failed(5).1.message.contains("key column 'Email' is empty"));
        assert_eq!(failed(6).1.code, BaseErrorCode::InvalidValue);
        assert_eq!(steps.len(), 7);
    }

    #[test]
    fn multi_column_keys_match_on_every_column() {
        let keys = key_columns(&["Email".into(), "Due".into()], &columns()).unwrap();
        let table = [record("recA", r#"{"Email":"a","Due":1795651200000}"#)];
        let existing = index_records(&table, &keys);
        let input = rows(
            r#"[{"fields":{"Email":"a","Due":"2026-11-26"}},{"fields":{"Email":"a","Due":"2026-11-27"}}]"#,
        );
        let steps = plan_upsert(input, &keys, &existing);
        assert!(matches!(&steps[0], Step::Update { record_id, .. } if record_id == "recA"));
        assert!(matches!(&steps[1], Step::Create { .. }));
    }

    #[test]
    fn few_keys_are_looked_up_with_a_filter_many_by_reading_the_table() {
        let keys = key_columns(&["Due".into(), "Email".into()], &columns()).unwrap();
        let few = rows(
            r#"[{"fields":{"Email":"b","Due":1}},{"fields":{"Email":"a","Due":2}},{"fields":{"Email":"a","Due":3}}]"#,
        );
        let wanted = wanted_keys(&few, &keys);
        assert_eq!(wanted.len(), 3);
        let filter = lookup_filter(&keys, &wanted).unwrap();
        assert_eq!(
            serde_json::to_string(&filter).unwrap(),
            r#"{"conjunction":"or","conditions":[{"field_name":"Email","operator":"is","value":["a"]},{"field_name":"Email","operator":"is","value":["b"]}]}"#
        );
        let many: Vec<Key> = (0..=MAX_FILTER_KEYS)
            .map(|n| vec!["1".into(), n.to_string()])
            .collect();
        assert!(lookup_filter(&keys, &many).is_none());
        let date_only = key_columns(&["Due".into()], &columns()).unwrap();
        assert!(lookup_filter(&date_only, &[vec!["1".into()]]).is_none());
    }
}
