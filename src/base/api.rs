//! Lark Base's (Bitable's) HTTP API as this crate calls it: paths, request bodies and the answers'
//! `data`, as serde types. See LARK_API.md: all under `/open-apis/bitable/v1/apps/{app_token}`.

use super::value::Value;
use serde::{Deserialize, Serialize};

/// `base_url` without a trailing slash; `app_token` and `table_id` are checked IDs (letters,
/// digits, `_`, `-`), so they need no escaping.
pub fn app_path(base_url: &str, app_token: &str) -> String {
    format!("{base_url}/open-apis/bitable/v1/apps/{app_token}")
}

pub fn tables_url(base_url: &str, app_token: &str, page: &PageQuery) -> String {
    format!("{}/tables{}", app_path(base_url, app_token), page.query())
}

pub fn fields_url(base_url: &str, app_token: &str, table_id: &str, page: &PageQuery) -> String {
    format!(
        "{}/tables/{table_id}/fields{}",
        app_path(base_url, app_token),
        page.query()
    )
}

/// `action` is `search`, `batch_get`, `batch_create`, `batch_update` or `batch_delete`.
pub fn records_url(
    base_url: &str,
    app_token: &str,
    table_id: &str,
    action: &str,
    query: &str,
) -> String {
    format!(
        "{}/tables/{table_id}/records/{action}{query}",
        app_path(base_url, app_token)
    )
}

/// `page_size` and `page_token`, as a query string (empty when neither is set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageQuery {
    pub page_size: Option<usize>,
    pub page_token: Option<String>,
}

impl PageQuery {
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(size) = self.page_size {
            parts.push(format!("page_size={size}"));
        }
        if let Some(token) = &self.page_token {
            parts.push(format!("page_token={}", query_escape(token)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Page tokens come from Lark, so they are escaped before they go into a URL.
pub fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The part of every answer read first: whether it is Lark's at all, and its code.
/// `code` is read as a JSON number and judged whole or not by the caller.
#[derive(Clone, Debug, Deserialize)]
pub struct Head {
    pub code: f64,
    #[serde(default)]
    pub msg: Option<String>,
}

/// A successful answer's `data`.
#[derive(Clone, Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// A page of a list or search. Lark sends `items: null` on an empty page.
#[derive(Clone, Debug, Deserialize)]
pub struct Page<T> {
    #[serde(default = "none")]
    pub items: Option<Vec<T>>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub page_token: Option<String>,
    #[serde(default)]
    pub total: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Table {
    pub table_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FieldInfo {
    pub field_id: String,
    pub field_name: String,
    #[serde(rename = "type")]
    pub kind: i64,
    #[serde(default)]
    pub property: Value,
    #[serde(default)]
    pub is_primary: bool,
    #[serde(default)]
    pub ui_type: Option<String>,
}

impl FieldInfo {
    pub fn into_field(self) -> super::fields::Field {
        let mut field = super::fields::Field::new(
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

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Record {
    pub record_id: String,
    #[serde(default)]
    pub fields: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SearchBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_names: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<Sort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic_fields: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Sort {
    pub field_name: String,
    #[serde(default)]
    pub desc: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Filter {
    pub conjunction: String,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Filter>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Condition {
    pub field_name: String,
    pub operator: String,
    #[serde(default)]
    pub value: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchGetBody {
    pub record_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic_fields: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BatchGetData {
    #[serde(default = "none")]
    pub records: Option<Vec<Record>>,
    #[serde(default = "none")]
    pub absent_record_ids: Option<Vec<String>>,
    #[serde(default = "none")]
    pub forbidden_record_ids: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewRecord {
    pub fields: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchCreateBody {
    pub records: Vec<NewRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchUpdateBody {
    pub records: Vec<Record>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchDeleteBody {
    pub records: Vec<String>,
}

/// Every request body, as one type: the sending and retrying code is then compiled once, not once
/// per body type (in the wasm module, each copy of it cost kilobytes).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RequestBody {
    Search(SearchBody),
    Get(BatchGetBody),
    Create(BatchCreateBody),
    Update(BatchUpdateBody),
    Delete(BatchDeleteBody),
}

/// What batch_create and batch_update answer.
#[derive(Clone, Debug, Deserialize)]
pub struct RecordsData {
    #[serde(default = "none")]
    pub records: Option<Vec<Record>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DeleteData {
    #[serde(default = "none")]
    pub records: Option<Vec<Deleted>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Deleted {
    pub record_id: String,
    #[serde(default)]
    pub deleted: bool,
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let page = PageQuery {
            page_size: Some(500),
            page_token: Some("a+b/c=".into()),
        };
        assert_eq!(
            tables_url("https://open.larksuite.com", "bascnA", &page),
            "https://open.larksuite.com/open-apis/bitable/v1/apps/bascnA/tables?page_size=500&page_token=a%2Bb%2Fc%3D"
        );
        assert_eq!(
            fields_url(
                "http://127.0.0.1:9",
                "bascnA",
                "tblB",
                &PageQuery::default()
            ),
            "http://127.0.0.1:9/open-apis/bitable/v1/apps/bascnA/tables/tblB/fields"
        );
        assert_eq!(
            records_url("https://x", "A", "T", "batch_create", "?client_token=u"),
            "https://x/open-apis/bitable/v1/apps/A/tables/T/records/batch_create?client_token=u"
        );
    }

    #[test]
    fn answers_as_lark_sends_them() {
        let page: Envelope<Page<Record>> = serde_json::from_str(
            r#"{"code":0,"msg":"success","data":{"has_more":true,"page_token":"pt1","total":3,
                "items":[{"record_id":"recA","fields":{"Name":[{"type":"text","text":"A"}]}}]}}"#,
        )
        .unwrap();
        let page = page.data.unwrap();
        assert!(page.has_more);
        assert_eq!(page.items.unwrap()[0].record_id, "recA");
        let empty: Envelope<Page<Record>> =
            serde_json::from_str(r#"{"code":0,"data":{"has_more":false,"items":null}}"#).unwrap();
        assert!(empty.data.unwrap().items.is_none());
        let head: Head =
            serde_json::from_str(r#"{"code":1254045,"msg":"FieldNameNotFound","data":{}}"#)
                .unwrap();
        assert_eq!(
            (head.code, head.msg.as_deref()),
            (1254045.0, Some("FieldNameNotFound"))
        );
        let field: FieldInfo = serde_json::from_str(
            r#"{"field_id":"fld1","field_name":"Status","type":3,"is_primary":false,"ui_type":"SingleSelect",
                "property":{"options":[{"name":"Todo","id":"opt1","color":0}]}}"#,
        )
        .unwrap();
        let field = field.into_field();
        assert_eq!(field.options, ["Todo"]);
        assert_eq!(field.ui_type.as_deref(), Some("SingleSelect"));
    }

    #[test]
    fn bodies_as_lark_takes_them() {
        let body = SearchBody {
            field_names: Some(vec!["Email".into()]),
            sort: vec![Sort {
                field_name: "Due".into(),
                desc: true,
            }],
            ..SearchBody::default()
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"field_names":["Email"],"sort":[{"field_name":"Due","desc":true}]}"#
        );
        let delete = BatchDeleteBody {
            records: vec!["recA".into()],
        };
        assert_eq!(
            serde_json::to_string(&delete).unwrap(),
            r#"{"records":["recA"]}"#
        );
    }
}
