//! One call of the library: an operation run on a base, and its result in the shape callers get
//! (the fields of records and errors in JS's naming).

use super::answer::{FieldInfo, Table};
use super::error::BaseError;
use super::fields::{mapper_fields, MapperField};
use super::flow::{Action, Base, ItemResult, OutRecord, TokenSource};
use super::params::Operation;
use crate::http::Platform;
use serde::Serialize;

#[derive(Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Output {
    Tables {
        tables: Vec<Table>,
    },
    Fields {
        fields: Vec<FieldOut>,
        #[serde(rename = "mapperFields")]
        mapper_fields: Vec<MapperField>,
    },
    Records {
        records: Vec<OutRecord>,
        #[serde(skip_serializing_if = "Option::is_none")]
        total: Option<u64>,
    },
    Items {
        items: Vec<ItemOut>,
    },
}

/// A column as Lark describes it.
#[derive(Debug, PartialEq, Serialize)]
pub struct FieldOut {
    pub field_id: String,
    pub field_name: String,
    #[serde(rename = "type")]
    pub kind: i64,
    pub ui_type: Option<String>,
    pub is_primary: bool,
    pub read_only: bool,
}

/// What became of one input row: a record and what was done, or the error for it.
#[derive(Debug, PartialEq, Serialize)]
pub struct ItemOut {
    pub item: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<OutRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorOut>,
}

/// A `BaseError` as callers see it: the same properties as a thrown `LarkbaseError`.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorOut {
    pub message: String,
    pub code: &'static str,
    pub hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lark_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lark_msg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

impl From<&BaseError> for ErrorOut {
    fn from(e: &BaseError) -> Self {
        Self {
            message: e.message.clone(),
            code: e.code.as_str(),
            hint: e.hint.clone(),
            field: e.field.clone(),
            column: e.column.clone(),
            lark_code: e.lark_code,
            lark_msg: e.lark_msg.clone(),
            http_status: e.http_status,
            attempts: e.attempts,
            client_token: e.client_token.clone(),
        }
    }
}

impl From<ItemResult> for ItemOut {
    fn from(result: ItemResult) -> Self {
        match result.outcome {
            Ok((action, record)) => Self {
                item: result.item,
                action: Some(action),
                record: Some(record),
                error: None,
            },
            Err(e) => Self {
                item: result.item,
                action: None,
                record: None,
                error: Some(ErrorOut::from(&e)),
            },
        }
    }
}

/// Runs `operation` on the table (`table_id`, which every operation but listing tables needs).
/// No error it gives, for the call or for an item, shows a token the call sent.
pub async fn run<P: Platform, T: TokenSource>(
    base: &Base<'_, P, T>,
    table_id: Option<&str>,
    operation: Operation,
) -> Result<Output, BaseError> {
    perform(base, table_id, operation)
        .await
        .map_err(|e| base.redact(e))
}

async fn perform<P: Platform, T: TokenSource>(
    base: &Base<'_, P, T>,
    table_id: Option<&str>,
    operation: Operation,
) -> Result<Output, BaseError> {
    let table = || {
        table_id.ok_or_else(|| {
            BaseError::invalid(
                "table",
                "is empty: pick a table, or paste its URL or table ID",
            )
        })
    };
    let items = |results: Vec<ItemResult>| Output::Items {
        items: results
            .into_iter()
            .map(|result| {
                ItemOut::from(ItemResult {
                    outcome: result.outcome.map_err(|e| base.redact(e)),
                    ..result
                })
            })
            .collect(),
    };
    Ok(match operation {
        Operation::ListTables => Output::Tables {
            tables: base.list_tables().await?,
        },
        Operation::ListFields => {
            let infos = base.list_fields(table()?).await?;
            let columns: Vec<_> = infos.iter().cloned().map(FieldInfo::into_field).collect();
            Output::Fields {
                mapper_fields: mapper_fields(&columns),
                fields: infos
                    .into_iter()
                    .zip(&columns)
                    .map(|(info, column)| FieldOut {
                        read_only: column.kind.is_read_only(),
                        field_id: info.field_id,
                        field_name: info.field_name,
                        kind: info.kind,
                        ui_type: info.ui_type,
                        is_primary: info.is_primary,
                    })
                    .collect(),
            }
        }
        Operation::Search { body, limit } => {
            let found = base.search(table()?, body, limit).await?;
            Output::Records {
                records: found.records,
                total: found.total,
            }
        }
        Operation::Get { rows } => items(base.get(table()?, rows).await?),
        Operation::Create { rows, unknown } => items(base.create(table()?, rows, unknown).await?),
        Operation::Update { rows, unknown } => items(base.update(table()?, rows, unknown).await?),
        Operation::Delete { rows } => items(base.delete(table()?, rows).await?),
        Operation::Upsert {
            rows,
            keys,
            unknown,
        } => items(base.upsert(table()?, rows, &keys, unknown).await?),
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::base::error::BaseErrorCode;
    use crate::base::value::Value;

    #[test]
    fn items_serialize_as_callers_read_them() {
        let done = ItemOut::from(ItemResult {
            item: 3,
            outcome: Ok((
                Action::Created,
                OutRecord::new(
                    "recA".into(),
                    &Value::Object(vec![("Key".into(), Value::text("a"))]),
                ),
            )),
        });
        assert_eq!(
            serde_json::to_string(&done).unwrap(),
            r#"{"item":3,"action":"created","record":{"record_id":"recA","fields":{"Key":"a"}}}"#
        );
        let mut e = BaseError::invalid_value("Due", "date", "a string", "a date");
        e.attempts = 2;
        let failed = ItemOut::from(ItemResult {
            item: 4,
            outcome: Err(e),
        });
        let json = serde_json::to_value(&failed).unwrap();
        assert_eq!(json["error"]["code"], "INVALID_VALUE");
        assert_eq!(json["error"]["column"], "Due");
        assert_eq!(json["error"]["attempts"], 2);
        assert!(json.get("record").is_none());
        assert_eq!(BaseErrorCode::NotSent.as_str(), "NOT_SENT");
    }
}
