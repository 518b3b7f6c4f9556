//! A record-change event as output items, one per changed record: column names for field IDs and
//! cells in the plain form the Larkbase node's Search gives (text as strings, option names,
//! Unix milliseconds, persons as `[{ id, name }]`), filtered by base, table and action.

use super::event::{FieldValue, RecordAction, RecordChanged, UserId};
use crate::base::answer::FieldInfo;
use crate::base::convert::simplify;
use crate::base::fields::FieldType;
use crate::base::value::Value;
use serde::Serialize;

/// What the trigger passes on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this base (app_token); any when `None`.
    pub app_token: Option<String>,
    /// Only this table; any when `None`.
    pub table_id: Option<String>,
    /// Which of `added`, `edited`, `deleted`; all when empty.
    pub actions: Vec<Action>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Added,
    Edited,
    Deleted,
}

impl Action {
    pub fn parse(lark: &str) -> Option<Self> {
        match lark {
            "record_added" | "added" => Some(Self::Added),
            "record_edited" | "edited" => Some(Self::Edited),
            "record_deleted" | "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// How the items are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Rich-text cells as plain strings, as in Search.
    pub simplify: bool,
    /// Edits carry the cells as they were before, under `before`.
    pub before: bool,
}

/// One output item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Item {
    pub action: Action,
    pub record_id: String,
    pub table_id: String,
    /// The base's app_token.
    pub base: String,
    /// The cells after the change (for a deleted record, the cells it held), by column name.
    pub fields: Value,
    /// Edits: the columns whose cells changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_fields: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<UserId>,
    /// When Lark says the change was made, in Unix milliseconds (a number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Value>,
    pub event_id: String,
}

/// Whether the event concerns the filter's base and table at all.
pub fn concerns(change: &RecordChanged, filter: &Filter) -> bool {
    let base = filter
        .app_token
        .as_ref()
        .is_none_or(|b| *b == change.file_token);
    let table = filter
        .table_id
        .as_ref()
        .is_none_or(|t| *t == change.table_id);
    base && table
}

/// The actions the filter keeps, in Lark's order; unknown actions are left out.
pub fn kept<'a>(change: &'a RecordChanged, filter: &Filter) -> Vec<(Action, &'a RecordAction)> {
    change
        .action_list
        .iter()
        .flatten()
        .filter_map(|a| Action::parse(&a.action).map(|kind| (kind, a)))
        .filter(|(kind, _)| filter.actions.is_empty() || filter.actions.contains(kind))
        .collect()
}

/// The field IDs the kept actions name that `columns` does not have: when there are any, the
/// caller reads the columns again (a column was added or renamed since they were read).
pub fn unknown_fields(actions: &[(Action, &RecordAction)], columns: &[FieldInfo]) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for (_, action) in actions {
        for cell in cells(&action.before_value).chain(cells(&action.after_value)) {
            let known = columns.iter().any(|c| c.field_id == cell.field_id);
            if !known && !unknown.contains(&cell.field_id) {
                unknown.push(cell.field_id.clone());
            }
        }
    }
    unknown
}

fn cells(list: &Option<Vec<FieldValue>>) -> impl Iterator<Item = &FieldValue> {
    list.iter().flatten()
}

/// The items for the kept actions. A field ID that is still unknown keeps its ID as the key.
pub fn items(
    event_id: &str,
    change: &RecordChanged,
    actions: &[(Action, &RecordAction)],
    columns: &[FieldInfo],
    shape: Shape,
) -> Vec<Item> {
    actions
        .iter()
        .map(|(kind, action)| {
            let after = row(&action.after_value, columns, shape);
            let before = row(&action.before_value, columns, shape);
            let (fields, before, changed) = match kind {
                Action::Added => (after, None, None),
                Action::Deleted => (before, None, None),
                Action::Edited => {
                    let changed = names(&after);
                    (after, shape.before.then_some(before), Some(changed))
                }
            };
            Item {
                action: *kind,
                record_id: action.record_id.clone(),
                table_id: change.table_id.clone(),
                base: change.file_token.clone(),
                fields,
                changed_fields: changed,
                before,
                operator_id: change.operator_id.clone(),
                update_time: change
                    .update_time
                    .filter(|t| t.is_finite())
                    .map(|seconds| Value::Number(seconds * 1000.0)),
                event_id: event_id.to_owned(),
            }
        })
        .collect()
}

fn names(row: &Value) -> Vec<String> {
    match row {
        Value::Object(cells) => cells.iter().map(|(name, _)| name.clone()).collect(),
        _ => Vec::new(),
    }
}

/// The cells of one side of an action, by column name, in the table's column order.
fn row(list: &Option<Vec<FieldValue>>, columns: &[FieldInfo], shape: Shape) -> Value {
    let mut out: Vec<(usize, String, Value)> = Vec::new();
    for cell in cells(list) {
        let column = columns.iter().position(|c| c.field_id == cell.field_id);
        let info = column.and_then(|at| columns.get(at));
        let name = info.map_or_else(|| cell.field_id.clone(), |c| c.field_name.clone());
        if out.iter().any(|(_, n, _)| *n == name) {
            continue;
        }
        let value = cell_value(cell, info, shape.simplify);
        out.push((column.unwrap_or(usize::MAX), name, value));
    }
    out.sort_by_key(|(position, _, _)| *position);
    Value::Object(
        out.into_iter()
            .map(|(_, name, value)| (name, value))
            .collect(),
    )
}

/// One cell: its JSON-encoded value read, persons named from `field_identity_value`, select
/// options given by name, rich text flattened when `simplify`.
pub fn cell_value(cell: &FieldValue, column: Option<&FieldInfo>, simplify_text: bool) -> Value {
    let kind = column.map(|c| FieldType::from_code(c.kind));
    let text = cell.field_value.as_deref().unwrap_or_default();
    let value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::text(text))
    };
    let users = cell
        .field_identity_value
        .as_ref()
        .and_then(|identity| identity.users.as_ref())
        .filter(|users| !users.is_empty());
    let is_person = matches!(
        kind,
        Some(FieldType::Person | FieldType::CreatedBy | FieldType::ModifiedBy)
    );
    if let (true, Some(users)) = (is_person || column.is_none(), users) {
        return Value::List(
            users
                .iter()
                .map(|user| {
                    let id = user.user_id.as_ref().and_then(|u| {
                        u.open_id
                            .clone()
                            .or_else(|| u.union_id.clone())
                            .or_else(|| u.user_id.clone())
                    });
                    let mut person = vec![("id".to_owned(), id.map_or(Value::Null, Value::Text))];
                    for (key, text) in [("name", &user.name), ("en_name", &user.en_name)] {
                        if let Some(text) = text {
                            person.push((key.to_owned(), Value::text(text.clone())));
                        }
                    }
                    Value::Object(person)
                })
                .collect(),
        );
    }
    let value = match (kind, column) {
        (Some(FieldType::SingleSelect | FieldType::MultiSelect), Some(column)) => {
            option_names(value, column)
        }
        _ => value,
    };
    if simplify_text {
        simplify(value)
    } else {
        value
    }
}

/// Select cells as option names: Lark's events may give an option by its ID.
fn option_names(value: Value, column: &FieldInfo) -> Value {
    let options: Vec<(&str, &str)> = match column.property.get("options") {
        Some(Value::List(options)) => options
            .iter()
            .filter_map(|o| Some((o.get("id")?.as_str()?, o.get("name")?.as_str()?)))
            .collect(),
        _ => Vec::new(),
    };
    let name_of = |text: String| {
        let is_name = options.iter().any(|(_, name)| *name == text);
        match options.iter().find(|(id, _)| *id == text) {
            Some((_, name)) if !is_name => Value::text(*name),
            _ => Value::Text(text),
        }
    };
    match value {
        Value::Text(text) => name_of(text),
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|item| match item {
                    Value::Text(text) => name_of(text),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}
