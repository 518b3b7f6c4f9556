//! Lark Base's answers, read and checked: every answer is `{ code, msg, data }`, and `data` is read
//! here from a `Value` (which takes any shape, nested to a bounded depth) into the few shapes this
//! crate uses. Nothing a server says is used before it is checked: IDs must look like Lark's, page
//! tokens must be short and printable, counts must be whole. A wrong shape is a fixed problem text,
//! never a quote of what the server sent.

use super::api::Record;
use super::fields::Field;
use super::value::{take, Value};
use crate::lenient::Scalar;
use serde::Deserialize;

/// Values one answer may hold: a page of 500 records of 60 columns, with room to spare, read in
/// about 50 ms. A page of wider records is asked for again in smaller pages (see `flow`), so that no
/// answer blocks the event loop for long.
pub const MAX_VALUES: usize = 100_000;
/// Lark's page tokens are a few dozen characters.
pub const MAX_PAGE_TOKEN_CHARS: usize = 4096;
/// Longer than any ID Lark hands out.
const MAX_ID_CHARS: usize = 64;

/// An answer's envelope, each part read whatever it holds.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Answer {
    pub code: Scalar,
    pub msg: Scalar,
    pub data: Value,
}

/// What is wrong with an answer, for `BaseError::bad_response`.
pub type Problem = &'static str;

/// A page of a list or a search.
#[derive(Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    pub page_token: Option<String>,
    /// Lark's count of everything there is to list.
    pub total: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Table {
    pub table_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<f64>,
}

/// A column as Lark describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldInfo {
    pub field_id: String,
    pub field_name: String,
    pub kind: i64,
    pub property: Value,
    pub is_primary: bool,
    pub ui_type: Option<String>,
}

impl FieldInfo {
    pub fn into_field(self) -> Field {
        let mut field = Field::new(
            &self.field_id,
            &self.field_name,
            self.kind,
            Some(&self.property),
        );
        field.is_primary = self.is_primary;
        field.ui_type = self.ui_type;
        field
    }
}

/// batch_get's answer: the records found, and the IDs Lark says are absent or not to be read.
#[derive(Debug, Default, PartialEq)]
pub struct Found {
    pub records: Vec<Record>,
    pub forbidden: Vec<String>,
}

/// One entry of batch_delete's answer.
#[derive(Debug, PartialEq)]
pub struct Deleted {
    pub record_id: String,
    pub deleted: bool,
}

/// Whether `text` is an ID of the kind `prefix` names (`rec`, `tbl`, `fld`): the prefix, then
/// letters, digits and `_`, as Lark's are.
pub fn is_id(text: &str, prefix: &str) -> bool {
    text.len() <= MAX_ID_CHARS
        && text.len() > prefix.len()
        && text.starts_with(prefix)
        && text
            .bytes()
            .skip(prefix.len())
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A page of `data`, each item read by `item`.
pub fn page<T>(
    data: Value,
    item: &dyn Fn(Value) -> Result<T, Problem>,
) -> Result<Page<T>, Problem> {
    let Value::Object(entries) = data else {
        return Err("data is missing or not an object");
    };
    let mut page = Page {
        items: Vec::new(),
        has_more: false,
        page_token: None,
        total: None,
    };
    for (key, value) in entries {
        match key.as_str() {
            "items" => page.items = list(value, item, "items is not a list")?,
            "has_more" => {
                page.has_more = match value {
                    Value::Bool(flag) => flag,
                    Value::Null => false,
                    _ => return Err("has_more is not true or false"),
                }
            }
            "page_token" => {
                page.page_token = match value {
                    Value::Text(token) if token.is_empty() => None,
                    Value::Text(token) if is_page_token(&token) => Some(token),
                    Value::Null => None,
                    _ => return Err("page_token is not a short, printable token"),
                }
            }
            "total" => {
                page.total = match value {
                    Value::Number(n) if n.fract() == 0.0 && (0.0..1e15).contains(&n) => {
                        Some(n as u64)
                    }
                    Value::Null => None,
                    _ => return Err("total is not a count"),
                }
            }
            _ => {}
        }
    }
    Ok(page)
}

fn is_page_token(token: &str) -> bool {
    token.len() <= MAX_PAGE_TOKEN_CHARS && token.bytes().all(|b| b.is_ascii_graphic())
}

/// A list of `data`'s entry `key`; missing or `null` is empty.
fn list<T>(
    value: Value,
    item: &dyn Fn(Value) -> Result<T, Problem>,
    not_a_list: Problem,
) -> Result<Vec<T>, Problem> {
    match value {
        Value::List(values) => values.into_iter().map(item).collect(),
        Value::Null => Ok(Vec::new()),
        _ => Err(not_a_list),
    }
}

/// `data`'s entry `key`, read as a list by `item`; missing or `null` is empty.
fn entry_list<T>(
    data: &mut Value,
    key: &str,
    item: fn(Value) -> Result<T, Problem>,
    not_a_list: Problem,
) -> Result<Vec<T>, Problem> {
    let Value::Object(entries) = data else {
        return Err("data is missing or not an object");
    };
    list(take(entries, key), &item, not_a_list)
}

pub fn record(value: Value) -> Result<Record, Problem> {
    let Value::Object(mut entries) = value else {
        return Err("a record is not an object");
    };
    let record_id = match take(&mut entries, "record_id") {
        Value::Text(id) if is_id(&id, "rec") => id,
        _ => return Err("a record has no record_id, or one no Lark record has"),
    };
    let fields = match take(&mut entries, "fields") {
        fields @ Value::Object(_) => fields,
        Value::Null => Value::Object(Vec::new()),
        _ => return Err("a record's fields are not an object"),
    };
    Ok(Record { record_id, fields })
}

pub fn table(value: Value) -> Result<Table, Problem> {
    let Value::Object(mut entries) = value else {
        return Err("a table is not an object");
    };
    let table_id = match take(&mut entries, "table_id") {
        Value::Text(id) if is_id(&id, "tbl") => id,
        _ => return Err("a table has no table_id, or one no Lark table has"),
    };
    let name = match take(&mut entries, "name") {
        Value::Text(name) => name,
        Value::Null => String::new(),
        _ => return Err("a table's name is not text"),
    };
    let revision = match take(&mut entries, "revision") {
        Value::Number(n) => Some(n),
        Value::Null => None,
        _ => return Err("a table's revision is not a number"),
    };
    Ok(Table {
        table_id,
        name,
        revision,
    })
}

pub fn field(value: Value) -> Result<FieldInfo, Problem> {
    let Value::Object(mut entries) = value else {
        return Err("a field is not an object");
    };
    let field_id = match take(&mut entries, "field_id") {
        Value::Text(id) if is_id(&id, "fld") => id,
        _ => return Err("a field has no field_id, or one no Lark field has"),
    };
    let field_name = match take(&mut entries, "field_name") {
        Value::Text(name) if !name.is_empty() => name,
        _ => return Err("a field has no name"),
    };
    let kind = match take(&mut entries, "type") {
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e9 => n as i64,
        _ => return Err("a field's type is not a whole number"),
    };
    let is_primary = match take(&mut entries, "is_primary") {
        Value::Bool(flag) => flag,
        Value::Null => false,
        _ => return Err("a field's is_primary is not true or false"),
    };
    let ui_type = match take(&mut entries, "ui_type") {
        Value::Text(ui_type) => Some(ui_type),
        Value::Null => None,
        _ => return Err("a field's ui_type is not text"),
    };
    Ok(FieldInfo {
        field_id,
        field_name,
        kind,
        property: take(&mut entries, "property"),
        is_primary,
        ui_type,
    })
}

/// The records of batch_create's and batch_update's answers.
pub fn records(mut data: Value) -> Result<Vec<Record>, Problem> {
    entry_list(&mut data, "records", record, "records is not a list")
}

/// batch_get's answer. IDs Lark lists as absent are simply not found.
pub fn found(mut data: Value) -> Result<Found, Problem> {
    Ok(Found {
        records: entry_list(&mut data, "records", record, "records is not a list")?,
        forbidden: entry_list(
            &mut data,
            "forbidden_record_ids",
            record_id,
            "forbidden_record_ids is not a list of record IDs",
        )?,
    })
}

/// batch_delete's answer.
pub fn deleted(mut data: Value) -> Result<Vec<Deleted>, Problem> {
    entry_list(&mut data, "records", deletion, "records is not a list")
}

fn record_id(value: Value) -> Result<String, Problem> {
    match value {
        Value::Text(id) if is_id(&id, "rec") => Ok(id),
        _ => Err("a record ID is not one Lark hands out"),
    }
}

fn deletion(value: Value) -> Result<Deleted, Problem> {
    let Value::Object(mut entries) = value else {
        return Err("a deleted record is not an object");
    };
    let record_id = record_id(take(&mut entries, "record_id"))?;
    let deleted = match take(&mut entries, "deleted") {
        Value::Bool(flag) => flag,
        Value::Null => false,
        _ => return Err("deleted is not true or false"),
    };
    Ok(Deleted { record_id, deleted })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn data(json: &str) -> Value {
        let answer: Answer = crate::lenient::read_json(json, MAX_VALUES).unwrap();
        answer.data
    }

    #[test]
    fn answers_as_lark_sends_them() {
        let answer: Answer = crate::lenient::read_json(
            r#"{"code":0,"msg":"success","data":{"has_more":true,"page_token":"pt1","total":3,
                "items":[{"record_id":"recA1","fields":{"Name":[{"type":"text","text":"A"}]}}]}}"#,
            MAX_VALUES,
        )
        .unwrap();
        assert_eq!(answer.code.as_whole(), Some(0));
        let page = page(answer.data, &record).unwrap();
        assert!(page.has_more);
        assert_eq!(page.page_token.as_deref(), Some("pt1"));
        assert_eq!(page.total, Some(3));
        assert_eq!(page.items[0].record_id, "recA1");
        let empty = super::page(
            data(r#"{"code":0,"data":{"has_more":false,"items":null,"page_token":""}}"#),
            &record,
        )
        .unwrap();
        assert!(empty.items.is_empty() && empty.page_token.is_none());
        let head: Answer = crate::lenient::read_json(
            r#"{"code":1254045,"msg":"FieldNameNotFound","data":{}}"#,
            10,
        )
        .unwrap();
        assert_eq!(
            (head.code.as_whole(), head.msg.as_str()),
            (Some(1254045), Some("FieldNameNotFound"))
        );
        let fields = super::page(
            data(
                r#"{"data":{"items":[{"field_id":"fld1","field_name":"Status","type":3,"is_primary":false,
                "ui_type":"SingleSelect","property":{"options":[{"name":"Todo","id":"opt1","color":0}]}}]}}"#,
            ),
            &field,
        )
        .unwrap();
        let column = fields.items[0].clone().into_field();
        assert_eq!(column.options, ["Todo"]);
        assert_eq!(column.ui_type.as_deref(), Some("SingleSelect"));
        let tables = super::page(
            data(r#"{"data":{"items":[{"table_id":"tblB2","name":"T","revision":4}]}}"#),
            &table,
        )
        .unwrap();
        assert_eq!(tables.items[0].table_id, "tblB2");
        let got = found(data(
            r#"{"data":{"records":[{"record_id":"recA"}],"absent_record_ids":["recB"],"forbidden_record_ids":["recC"]}}"#,
        ))
        .unwrap();
        assert_eq!(
            (got.records.len(), got.forbidden.as_slice()),
            (1, &["recC".to_owned()][..])
        );
        let gone = deleted(data(
            r#"{"data":{"records":[{"record_id":"recA","deleted":true}]}}"#,
        ))
        .unwrap();
        assert!(gone[0].deleted);
    }

    #[test]
    fn ids_look_like_larks() {
        for good in ["recA", "rec_9z", "tblsRc9GRRXKqhvW"] {
            assert!(is_id(good, &good[..3]), "{good}");
        }
        for bad in ["rec", "REC1", "recA-1", "rec A", "rec/..", "t-0123", "recé"] {
            assert!(!is_id(bad, "rec"), "{bad}");
        }
        assert!(!is_id(&format!("rec{}", "a".repeat(62)), "rec"));
    }

    #[test]
    fn anything_else_is_a_fixed_problem_never_a_quote() {
        for (json, reader) in [
            (r#"{"data":[1]}"#, "page"),
            (r#"{"data":{"items":"x"}}"#, "page"),
            (r#"{"data":{"items":[1]}}"#, "page"),
            (
                r#"{"data":{"items":[{"record_id":"t-secret-token"}]}}"#,
                "page",
            ),
            (
                r#"{"data":{"items":[{"record_id":"recA","fields":[]}]}}"#,
                "page",
            ),
            (r#"{"data":{"has_more":"yes"}}"#, "page"),
            (r#"{"data":{"page_token":7}}"#, "page"),
            (r#"{"data":{"page_token":"a b"}}"#, "page"),
            (r#"{"data":{"total":-1}}"#, "page"),
            (r#"{"data":{"total":1.5}}"#, "page"),
            (r#"{"data":{"records":{"a":1}}}"#, "records"),
            (
                r#"{"data":{"records":[{"record_id":"recA","deleted":1}]}}"#,
                "deleted",
            ),
            (r#"{"data":{"forbidden_record_ids":[7]}}"#, "found"),
        ] {
            let v = data(json);
            let problem = match reader {
                "page" => page(v, &record).map(|_| ()),
                "records" => records(v).map(|_| ()),
                "deleted" => deleted(v).map(|_| ()),
                _ => found(v).map(|_| ()),
            }
            .expect_err(json);
            assert!(
                !problem.contains("secret") && !problem.contains("a b"),
                "{problem}"
            );
        }
        let long = format!(
            r#"{{"data":{{"page_token":"{}"}}}}"#,
            "p".repeat(MAX_PAGE_TOKEN_CHARS + 1)
        );
        assert!(page(data(&long), &record).is_err());
    }
}
