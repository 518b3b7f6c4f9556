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

/// A record as Lark reads it out, and as batch_update takes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub record_id: String,
    pub fields: Value,
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

impl RequestBody {
    /// As JSON text. Our own types always serialize; were one ever not to, Lark would refuse the
    /// empty body.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
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
