//! A table's columns as Lark describes them: their types, which of them can be written, and the
//! form n8n's column mapper shows for each.

use super::value::Value;
use serde::Serialize;

/// Lark Base's field `type` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    SingleSelect,
    MultiSelect,
    Date,
    Checkbox,
    Person,
    Phone,
    Url,
    Attachment,
    /// One-way (18) and two-way (21) links to other records.
    Link,
    Lookup,
    Formula,
    Location,
    GroupChat,
    CreatedTime,
    ModifiedTime,
    CreatedBy,
    ModifiedBy,
    AutoNumber,
    Other(i64),
}

impl FieldType {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Text,
            2 => Self::Number,
            3 => Self::SingleSelect,
            4 => Self::MultiSelect,
            5 => Self::Date,
            7 => Self::Checkbox,
            11 => Self::Person,
            13 => Self::Phone,
            15 => Self::Url,
            17 => Self::Attachment,
            18 | 21 => Self::Link,
            19 => Self::Lookup,
            20 => Self::Formula,
            22 => Self::Location,
            23 => Self::GroupChat,
            1001 => Self::CreatedTime,
            1002 => Self::ModifiedTime,
            1003 => Self::CreatedBy,
            1004 => Self::ModifiedBy,
            1005 => Self::AutoNumber,
            other => Self::Other(other),
        }
    }

    /// Formulas, lookups and the automatic columns are computed by Lark and refuse writes.
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            Self::Lookup
                | Self::Formula
                | Self::CreatedTime
                | Self::ModifiedTime
                | Self::CreatedBy
                | Self::ModifiedBy
                | Self::AutoNumber
        )
    }

    /// Columns an upsert can match on: those whose value reads back in a form that compares exactly.
    pub fn can_be_key(self) -> bool {
        matches!(
            self,
            Self::Text | Self::Number | Self::SingleSelect | Self::Date | Self::Phone | Self::Url
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::SingleSelect => "single select",
            Self::MultiSelect => "multiple select",
            Self::Date => "date",
            Self::Checkbox => "checkbox",
            Self::Person => "person",
            Self::Phone => "phone",
            Self::Url => "URL",
            Self::Attachment => "attachment",
            Self::Link => "link",
            Self::Lookup => "lookup",
            Self::Formula => "formula",
            Self::Location => "location",
            Self::GroupChat => "group",
            Self::CreatedTime => "created time",
            Self::ModifiedTime => "modified time",
            Self::CreatedBy => "created by",
            Self::ModifiedBy => "modified by",
            Self::AutoNumber => "auto number",
            Self::Other(_) => "other",
        }
    }

    /// The input n8n's column mapper shows for this column. The node reads the mapped values
    /// without n8n's own type checks, so that `convert` judges every value and names the column.
    fn mapper_type(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::Checkbox => "boolean",
            Self::SingleSelect => "options",
            Self::Date => "dateTime",
            _ => "string",
        }
    }
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub id: String,
    pub name: String,
    pub kind: FieldType,
    /// Lark's finer kind, e.g. "Email" for a text column that holds e-mail addresses.
    pub ui_type: Option<String>,
    pub is_primary: bool,
    /// Option names of a select column, in Lark's order.
    pub options: Vec<String>,
}

impl Field {
    pub fn new(id: &str, name: &str, code: i64, property: Option<&Value>) -> Self {
        let options = match property.and_then(|p| p.get("options")) {
            Some(Value::List(options)) => options
                .iter()
                .filter_map(|o| o.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            kind: FieldType::from_code(code),
            ui_type: None,
            is_primary: false,
            options,
        }
    }
}

/// One column as n8n's resource mapper wants it (`ResourceMapperField`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapperField {
    pub id: String,
    pub display_name: String,
    pub required: bool,
    pub default_match: bool,
    pub can_be_used_to_match: bool,
    pub display: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<MapperOption>>,
    pub read_only: bool,
    pub removed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapperOption {
    pub name: String,
    pub value: String,
}

/// The writable columns for the mapper, in the table's order. Read-only columns are left out:
/// they cannot be written, so they are not offered.
pub fn mapper_fields(fields: &[Field]) -> Vec<MapperField> {
    fields
        .iter()
        .filter(|f| !f.kind.is_read_only())
        .map(|f| {
            let kind = f.kind.mapper_type();
            MapperField {
                id: f.name.clone(),
                display_name: format!("{} ({})", f.name, f.kind.name()),
                required: false,
                default_match: f.is_primary,
                can_be_used_to_match: f.kind.can_be_key(),
                display: true,
                kind,
                options: (kind == "options").then(|| {
                    f.options
                        .iter()
                        .map(|name| MapperOption {
                            name: name.clone(),
                            value: name.clone(),
                        })
                        .collect()
                }),
                read_only: false,
                removed: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_code() {
        assert_eq!(FieldType::from_code(21), FieldType::Link);
        assert_eq!(FieldType::from_code(999), FieldType::Other(999));
        for code in [19, 20, 1001, 1002, 1003, 1004, 1005] {
            assert!(FieldType::from_code(code).is_read_only(), "{code}");
        }
        for code in [1, 2, 3, 4, 5, 7, 11, 13, 15, 17, 18, 21, 22, 23] {
            assert!(!FieldType::from_code(code).is_read_only(), "{code}");
        }
    }

    #[test]
    fn the_mapper_offers_writable_columns_only() {
        let status = Value::Object(vec![(
            "options".into(),
            Value::List(vec![
                Value::Object(vec![("name".into(), Value::text("Todo"))]),
                Value::Object(vec![("name".into(), Value::text("Done"))]),
            ]),
        )]);
        let mut name = Field::new("fld1", "Name", 1, None);
        name.is_primary = true;
        let fields = [
            name,
            Field::new("fld2", "Status", 3, Some(&status)),
            Field::new("fld3", "Total", 20, None),
            Field::new("fld4", "Tags", 4, None),
        ];
        let mapper = mapper_fields(&fields);
        let ids: Vec<&str> = mapper.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["Name", "Status", "Tags"]);
        assert!(mapper[0].default_match && mapper[0].can_be_used_to_match);
        assert_eq!(mapper[1].kind, "options");
        assert_eq!(mapper[1].options.as_ref().unwrap()[1].value, "Done");
        assert!(!mapper[2].can_be_used_to_match);
        assert_eq!(mapper[2].display_name, "Tags (multiple select)");
    }
}
