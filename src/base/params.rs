//! The params of a Lark Base call, read field by field so that an error names the field, and never
//! quotes the value (it may be the access token): from what the binding hands over to `Settings`
//! and an `Operation`.

use super::api::{Condition, Filter, SearchBody, Sort};
use super::error::BaseError;
use super::flow::Settings;
use super::locator;
use super::plan::{RawRow, Unknown, MAX_ROWS};
use super::value::{take, Value};
use std::cell::RefCell;

pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
pub const MAX_TIMEOUT_MS: u32 = 300_000;
/// A whole search or write, every page, batch, wait and turn of it.
pub const DEFAULT_DEADLINE_MS: u32 = 300_000;
pub const MAX_DEADLINE_MS: u32 = 3_600_000;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
pub const MAX_ATTEMPTS: u32 = 10;
const MAX_TOKEN_CHARS: usize = 4096;
const MAX_LIMIT: f64 = 10_000_000.0;
const OPERATORS: &[&str] = &[
    "is",
    "isNot",
    "contains",
    "doesNotContain",
    "isEmpty",
    "isNotEmpty",
    "isGreater",
    "isGreaterEqual",
    "isLess",
    "isLessEqual",
    "like",
    "in",
];

/// Where the params' fields come from: a JS object in wasm, a JSON object in native tests.
pub trait FieldSource {
    /// The field as a `Value` (which takes any shape, nested to a bounded depth); `Null` when it
    /// is missing, `null` or `undefined`, or cannot be read.
    fn field(&self, name: &'static str) -> Value;
}

/// Values a call's params may hold (an object counts as 8): about 100,000 rows of 30 cells. Read
/// into the module, a value takes about 18 bytes and an object about 130, whatever their JSON
/// took: 60 MiB of params made of small numbers took 553 MiB, 22 MiB of nested objects 666 MiB.
const MAX_PARAM_VALUES: usize = 5_000_000;

/// The params of a call as the JS entry copied them, as JSON text; each field is taken out as it is
/// read (the rows can be large). A field nested too deeply is read as far as `Value` reads.
pub struct Fields(RefCell<Vec<(String, Value)>>);

impl Fields {
    pub fn parse(json: &str) -> Result<Self, BaseError> {
        if crate::lenient::check_values(json, MAX_PARAM_VALUES).is_err() {
            return Err(BaseError::invalid(
                "params",
                &format!(
                    "hold more than {MAX_PARAM_VALUES} values (cells, list elements): send the \
                     rows in several calls"
                ),
            ));
        }
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(entries)) => Ok(Self(RefCell::new(entries))),
            _ => Err(BaseError::invalid(
                "params",
                "must be an object such as { base, table, accessToken }",
            )),
        }
    }
}

impl FieldSource for Fields {
    fn field(&self, name: &'static str) -> Value {
        take(&mut self.0.borrow_mut(), name)
    }
}

/// A params field as the type it must be, read by hand from its `Value`: a field of the wrong
/// shape is an error that names the field and never quotes the value.
pub(crate) trait FromValue: Sized {
    fn from_value(value: Value) -> Option<Self>;
}

impl FromValue for String {
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Bool(flag) => Some(flag),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::List(items) => items.into_iter().map(T::from_value).collect(),
            _ => None,
        }
    }
}

impl FromValue for Sort {
    fn from_value(value: Value) -> Option<Self> {
        let mut entries = object(value)?;
        Some(Sort {
            field_name: String::from_value(take(&mut entries, "field_name"))?,
            desc: optional(take(&mut entries, "desc"))?.unwrap_or(false),
        })
    }
}

impl FromValue for Condition {
    fn from_value(value: Value) -> Option<Self> {
        let mut entries = object(value)?;
        Some(Condition {
            field_name: String::from_value(take(&mut entries, "field_name"))?,
            operator: String::from_value(take(&mut entries, "operator"))?,
            value: optional(take(&mut entries, "value"))?.unwrap_or_default(),
        })
    }
}

impl FromValue for Filter {
    fn from_value(value: Value) -> Option<Self> {
        let mut entries = object(value)?;
        Some(Filter {
            conjunction: String::from_value(take(&mut entries, "conjunction"))?,
            conditions: optional(take(&mut entries, "conditions"))?.unwrap_or_default(),
            children: optional(take(&mut entries, "children"))?.unwrap_or_default(),
        })
    }
}

impl FromValue for RawRow {
    fn from_value(value: Value) -> Option<Self> {
        let mut entries = object(value)?;
        let item = match take(&mut entries, "item") {
            Value::Null => None,
            Value::Number(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Some(n as u32)
            }
            _ => return None,
        };
        let record_id = match take(&mut entries, "recordId") {
            Value::Null => optional(take(&mut entries, "record_id"))?,
            id => Some(String::from_value(id)?),
        };
        Some(RawRow {
            item,
            record_id,
            fields: take(&mut entries, "fields"),
            too_large: optional(take(&mut entries, "tooLarge"))?.unwrap_or_default(),
        })
    }
}

pub(crate) fn object(value: Value) -> Option<Vec<(String, Value)>> {
    match value {
        Value::Object(entries) => Some(entries),
        _ => None,
    }
}

/// `Some(None)` for `Null`, `Some(Some(_))` for a value of the right shape, `None` otherwise.
pub(crate) fn optional<T: FromValue>(value: Value) -> Option<Option<T>> {
    match value {
        Value::Null => Some(None),
        value => T::from_value(value).map(Some),
    }
}

pub(crate) fn read<T: FromValue>(
    src: &impl FieldSource,
    name: &'static str,
    expected: &str,
) -> Result<Option<T>, BaseError> {
    optional(src.field(name))
        .ok_or_else(|| BaseError::invalid(name, &format!("must be {expected}")))
}

/// What every call has: where, how long, and with which token.
#[derive(Debug)]
pub struct Common {
    pub settings: Settings,
    /// The table, from `table` or from the base's URL; `None` when neither named one.
    pub table_id: Option<String>,
    /// The token from `accessToken`, when the caller gave one instead of a credential.
    pub access_token: Option<String>,
}

/// `credential_base_url` is the validated domain of the credential's token params, when the
/// token comes from the credential; otherwise `accessToken` and `domain` are read.
pub fn common(
    src: &impl FieldSource,
    credential_base_url: Option<String>,
) -> Result<Common, BaseError> {
    let base =
        read::<String>(src, "base", "a string: the base's URL or app_token")?.unwrap_or_default();
    let location = locator::base(&base, "base")?;
    let table =
        read::<String>(src, "table", "a string: the table's URL or table_id")?.unwrap_or_default();
    let table_id = if table.trim().is_empty() {
        location.table_id.clone()
    } else {
        Some(locator::table(&table, &location, "table")?)
    };
    let (base_url, access_token) = match credential_base_url {
        Some(url) => (url, None),
        None => {
            let token = read::<String>(src, "accessToken", "a string")?.unwrap_or_default();
            let token = token.trim();
            if token.is_empty() {
                return Err(BaseError::invalid(
                    "accessToken",
                    "is empty: connect Larkbase Get Token before this node (its output has \
                     access_token), or use the Larkbase API credential",
                ));
            }
            let fine =
                token.len() <= MAX_TOKEN_CHARS && token.bytes().all(|b| b.is_ascii_graphic());
            if !fine {
                return Err(BaseError::invalid(
                    "accessToken",
                    "is not an access token (visible ASCII characters, at most 4096)",
                ));
            }
            let domain = read::<String>(src, "domain", "a string")?.unwrap_or_default();
            let domain = if domain.trim().is_empty() {
                "lark"
            } else {
                domain.as_str()
            };
            let url = crate::domain::base_url(domain)
                .map_err(|problem| BaseError::invalid("domain", problem))?;
            (url, Some(token.to_owned()))
        }
    };
    let settings = Settings {
        base_url,
        app_token: location.app_token,
        timeout_ms: whole(src, "timeoutMs", 1, MAX_TIMEOUT_MS, DEFAULT_TIMEOUT_MS)?,
        deadline_ms: whole(src, "deadlineMs", 1, MAX_DEADLINE_MS, DEFAULT_DEADLINE_MS)?,
        max_attempts: whole(src, "maxAttempts", 1, MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS)?,
        simplify: read::<bool>(src, "simplify", "true or false")?.unwrap_or(true),
        stop_on_error: read::<bool>(src, "stopOnError", "true or false")?.unwrap_or(false),
        client_token: client_token(src)?,
    };
    Ok(Common {
        settings,
        table_id,
        access_token,
    })
}

/// A UUID (Lark's form for `client_token`), as a retry of a create must send it again.
fn client_token(src: &impl FieldSource) -> Result<Option<String>, BaseError> {
    const PROBLEM: &str = "must be the client token an earlier error gave (a UUID), or left out";
    let Some(token) = read::<String>(src, "clientToken", PROBLEM)? else {
        return Ok(None);
    };
    let token = token.trim().to_ascii_lowercase();
    let is_uuid = token.len() == 36
        && token.char_indices().all(|(at, c)| match at {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if token.is_empty() {
        Ok(None)
    } else if is_uuid {
        Ok(Some(token))
    } else {
        Err(BaseError::invalid("clientToken", PROBLEM))
    }
}

fn whole(
    src: &impl FieldSource,
    name: &'static str,
    min: u32,
    max: u32,
    default: u32,
) -> Result<u32, BaseError> {
    let problem = format!("must be a whole number from {min} to {max}");
    match read::<f64>(src, name, &problem)? {
        None => Ok(default),
        Some(n) if n.fract() == 0.0 && (f64::from(min)..=f64::from(max)).contains(&n) => {
            Ok(n as u32)
        }
        Some(_) => Err(BaseError::invalid(name, &problem)),
    }
}

/// What a call does.
#[derive(Debug)]
pub enum Operation {
    ListTables,
    ListFields,
    Search {
        body: SearchBody,
        limit: Option<usize>,
    },
    Get {
        rows: Vec<RawRow>,
    },
    Create {
        rows: Vec<RawRow>,
        unknown: Unknown,
    },
    Update {
        rows: Vec<RawRow>,
        unknown: Unknown,
    },
    Delete {
        rows: Vec<RawRow>,
    },
    Upsert {
        rows: Vec<RawRow>,
        keys: Vec<String>,
        unknown: Unknown,
    },
}

impl Operation {
    pub fn needs_table(&self) -> bool {
        !matches!(self, Self::ListTables)
    }
}

/// The operation named `name` and its own params.
pub fn operation(src: &impl FieldSource, name: &str) -> Result<Operation, BaseError> {
    Ok(match name {
        "listTables" => Operation::ListTables,
        "listFields" => Operation::ListFields,
        "search" => Operation::Search {
            body: search_body(src)?,
            limit: limit(src)?,
        },
        "get" => Operation::Get { rows: rows(src)? },
        "create" => Operation::Create {
            rows: rows(src)?,
            unknown: unknown(src)?,
        },
        "update" => Operation::Update {
            rows: rows(src)?,
            unknown: unknown(src)?,
        },
        "delete" => Operation::Delete { rows: rows(src)? },
        "upsert" => Operation::Upsert {
            rows: rows(src)?,
            keys: read::<Vec<String>>(src, "keys", "a list of column names")?.unwrap_or_default(),
            unknown: unknown(src)?,
        },
        _ => return Err(BaseError::invalid("operation", "is not a known operation")),
    })
}

fn rows(src: &impl FieldSource) -> Result<Vec<RawRow>, BaseError> {
    let rows = read::<Vec<RawRow>>(
        src,
        "rows",
        "a list of { fields, recordId } objects, one per item",
    )?
    .unwrap_or_default();
    if rows.len() > MAX_ROWS {
        return Err(BaseError::invalid(
            "rows",
            &format!("has more than {MAX_ROWS} rows: send them in several calls"),
        ));
    }
    Ok(rows)
}

fn unknown(src: &impl FieldSource) -> Result<Unknown, BaseError> {
    match read::<String>(src, "unknownColumns", "'ignore' or 'error'")?.as_deref() {
        None | Some("error") => Ok(Unknown::Error),
        Some("ignore") => Ok(Unknown::Ignore),
        Some(_) => Err(BaseError::invalid(
            "unknownColumns",
            "must be 'ignore' or 'error'",
        )),
    }
}

fn limit(src: &impl FieldSource) -> Result<Option<usize>, BaseError> {
    const PROBLEM: &str = "must be a whole number from 1, or left out for all records";
    match read::<f64>(src, "limit", PROBLEM)? {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && (1.0..=MAX_LIMIT).contains(&n) => Ok(Some(n as usize)),
        Some(_) => Err(BaseError::invalid("limit", PROBLEM)),
    }
}

fn search_body(src: &impl FieldSource) -> Result<SearchBody, BaseError> {
    let filter = filter(src)?;
    let sort =
        read::<Vec<Sort>>(src, "sort", "a list of { field_name, desc }")?.unwrap_or_default();
    let view_id = read::<String>(src, "viewId", "a string (vew...)")?
        .map(|v| locator::view(&v, "viewId"))
        .transpose()?
        .flatten();
    let field_names = read::<Vec<String>>(src, "fieldNames", "a list of column names")?
        .filter(|names| !names.is_empty());
    Ok(SearchBody {
        view_id,
        field_names,
        sort,
        filter,
        automatic_fields: None,
    })
}

/// `filter`, checked; one without conditions is none.
pub fn filter(src: &impl FieldSource) -> Result<Option<Filter>, BaseError> {
    let filter = read::<Filter>(
        src,
        "filter",
        "{ conjunction: 'and' | 'or', conditions: [{ field_name, operator, value: string[] }] }",
    )?;
    if let Some(filter) = &filter {
        check_filter(filter, 0)?;
    }
    Ok(filter.filter(|f| !f.conditions.is_empty() || !f.children.is_empty()))
}

fn check_filter(filter: &Filter, depth: usize) -> Result<(), BaseError> {
    if filter.conjunction != "and" && filter.conjunction != "or" {
        return Err(BaseError::invalid(
            "filter",
            "conjunction must be 'and' or 'or'",
        ));
    }
    if depth > 1 {
        return Err(BaseError::invalid(
            "filter",
            "children may nest one level only",
        ));
    }
    for condition in &filter.conditions {
        if !OPERATORS.contains(&condition.operator.as_str()) {
            return Err(BaseError::invalid(
                "filter",
                &format!(
                    "has an unknown operator; Lark's are {}",
                    OPERATORS.join(", ")
                ),
            ));
        }
        if condition.field_name.trim().is_empty() {
            return Err(BaseError::invalid(
                "filter",
                "has a condition without a column name",
            ));
        }
    }
    filter
        .children
        .iter()
        .try_for_each(|child| check_filter(child, depth + 1))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::base::error::BaseErrorCode;
    use serde_json::{json, Value as Json};

    struct Object(Json);

    impl FieldSource for Object {
        fn field(&self, name: &'static str) -> Value {
            self.0
                .get(name)
                .map(|v| serde_json::from_value(v.clone()).unwrap())
                .unwrap_or_default()
        }
    }

    fn common_of(params: Json) -> Result<Common, BaseError> {
        common(&Object(params), None)
    }

    #[test]
    fn an_access_token_and_a_base_url_are_all_it_needs() {
        let c = common_of(json!({
            "base": "https://acme.larksuite.com/base/bascnA1?table=tblB2&view=vewC3",
            "accessToken": " t-abc ",
        }))
        .unwrap();
        assert_eq!(c.access_token.as_deref(), Some("t-abc"));
        assert_eq!(c.table_id.as_deref(), Some("tblB2"));
        assert_eq!(c.settings.base_url, "https://open.larksuite.com");
        assert_eq!(c.settings.app_token, "bascnA1");
        assert_eq!(
            (
                c.settings.timeout_ms,
                c.settings.deadline_ms,
                c.settings.max_attempts
            ),
            (30_000, 300_000, 5)
        );
        assert!(c.settings.simplify && !c.settings.stop_on_error);
        let feishu = common_of(
            json!({"base": "bascnA", "table": "tblX", "accessToken": "t", "domain": "feishu"}),
        )
        .unwrap();
        assert_eq!(feishu.settings.base_url, "https://open.feishu.cn");
        assert_eq!(feishu.table_id.as_deref(), Some("tblX"));
    }

    #[test]
    fn the_credential_brings_its_own_domain_and_no_token_is_read() {
        let c = common(
            &Object(json!({"base": "bascnA", "accessToken": 42})),
            Some("http://127.0.0.1:9".into()),
        )
        .unwrap();
        assert_eq!(c.settings.base_url, "http://127.0.0.1:9");
        assert_eq!(c.access_token, None);
    }

    #[test]
    fn errors_name_the_field_and_never_quote_the_value() {
        for (params, field) in [
            (json!({"accessToken": "t"}), "base"),
            (json!({"base": 7, "accessToken": "t"}), "base"),
            (json!({"base": "bascnA"}), "accessToken"),
            (
                json!({"base": "bascnA", "accessToken": "t-Secretish x"}),
                "accessToken",
            ),
            (
                json!({"base": "bascnA", "accessToken": "t", "domain": "ftp://x"}),
                "domain",
            ),
            (
                json!({"base": "bascnA", "accessToken": "t", "timeoutMs": 0}),
                "timeoutMs",
            ),
            (
                json!({"base": "bascnA", "accessToken": "t", "maxAttempts": 2.5}),
                "maxAttempts",
            ),
            (
                json!({"base": "bascnA", "accessToken": "t", "simplify": "yes"}),
                "simplify",
            ),
            (
                json!({"base": "https://x.larksuite.com/wiki/wikA", "accessToken": "t"}),
                "base",
            ),
        ] {
            let e = common_of(params.clone()).unwrap_err();
            assert_eq!(e.code, BaseErrorCode::InvalidParams, "{params}");
            assert_eq!(e.field.as_deref(), Some(field), "{params}");
            assert!(!e.message.contains("Secretish"), "{}", e.message);
        }
    }

    #[test]
    fn params_come_as_json_text_and_each_field_is_read_once() {
        let fields =
            Fields::parse(r#"{"base":"bascnA","accessToken":"t-x","rows":[{"fields":{"a":1}}]}"#)
                .unwrap();
        let c = common(&fields, None).unwrap();
        assert_eq!(c.settings.app_token, "bascnA");
        assert!(
            matches!(operation(&fields, "create").unwrap(), Operation::Create { rows, .. } if rows.len() == 1)
        );
        for bad in ["[]", "7", "not json", ""] {
            let e = Fields::parse(bad).err().unwrap();
            assert_eq!(e.field.as_deref(), Some("params"), "{bad}");
        }
        // Nested far deeper than anything is read: skipped, not failed.
        let deep = format!(
            r#"{{"base":"bascnA","accessToken":"t","x":{}1{}}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(common(&Fields::parse(&deep).unwrap(), None).is_ok());
        // Dense: a cell of small numbers as long as a cell may be, in rows enough to pass the cap.
        let cell = vec!["0"; 500_000].join(",");
        let row = format!(r#"{{"fields":{{"a":[{cell}]}}}}"#);
        let dense = format!(
            r#"{{"base":"bascnA","rows":[{}]}}"#,
            vec![row; 11].join(",")
        );
        let e = Fields::parse(&dense).err().unwrap();
        assert!(e.message.contains("5000000 values"), "{}", e.message);
        let row = format!(r#"{{"fields":{{"a":[{cell}]}}}}"#);
        assert!(Fields::parse(&format!(r#"{{"rows":[{}]}}"#, vec![row; 9].join(","))).is_ok());
        // Objects weigh more: 700,000 nested one-entry objects, in 3.4 MB of JSON, are too many.
        let chain = format!("{}0{}", r#"{"":"#.repeat(7), "}".repeat(7));
        let cell = vec![chain; 100_000].join(",");
        let dense = format!(r#"{{"rows":[{{"fields":{{"a":[{cell}]}}}}]}}"#);
        assert!(Fields::parse(&dense).is_err());
    }

    #[test]
    fn operations_and_their_params() {
        let src = Object(json!({
            "filter": {"conjunction": "or", "conditions": [{"field_name": "Key", "operator": "is", "value": ["a"]}]},
            "sort": [{"field_name": "Due", "desc": true}],
            "fieldNames": ["Key"],
            "limit": 10,
            "rows": [{"fields": {"Key": "a"}}],
            "keys": ["Key"],
            "unknownColumns": "ignore",
        }));
        match operation(&src, "search").unwrap() {
            Operation::Search { body, limit } => {
                assert_eq!(limit, Some(10));
                assert_eq!(body.field_names, Some(vec!["Key".to_owned()]));
                assert!(body.sort[0].desc);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            operation(&src, "upsert").unwrap(),
            Operation::Upsert { unknown: Unknown::Ignore, ref keys, .. } if keys == &["Key"]
        ));
        assert!(!operation(&src, "listTables").unwrap().needs_table());
        assert_eq!(
            operation(&src, "drop").unwrap_err().field.as_deref(),
            Some("operation")
        );
        for (params, field) in [
            (
                json!({"filter": {"conjunction": "xor", "conditions": []}}),
                "filter",
            ),
            (
                json!({"filter": {"conjunction": "and", "conditions": [{"field_name": "A", "operator": "eq", "value": []}]}}),
                "filter",
            ),
            (
                json!({"filter": {"conjunction": "and", "conditions": [{"field_name": "A", "operator": "is", "value": [1]}]}}),
                "filter",
            ),
            (json!({"limit": 0}), "limit"),
            (json!({"sort": "Due"}), "sort"),
        ] {
            let e = operation(&Object(params.clone()), "search").unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{params}");
        }
        let e = operation(&Object(json!({"rows": {"fields": {}}})), "create").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows"));
        let e = operation(&Object(json!({"unknownColumns": "skip"})), "create").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("unknownColumns"));
    }
}
