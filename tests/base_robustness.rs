//! The fuzz smoke for Lark Base: property tests that feed the locators, the value conversion,
//! the date reader, row preparation and the reading of Lark Base answers arbitrary input, and
//! check that each answers with a value or a typed error, never a panic (a panic would trap the
//! wasm instance), and that an error never quotes the value it refused.
#![cfg(not(target_arch = "wasm32"))]

use larkbase_get_token::base::answer::{self, Answer};
use larkbase_get_token::base::api::Record;
use larkbase_get_token::base::convert::{self, parse_iso};
use larkbase_get_token::base::fields::Field;
use larkbase_get_token::base::locator;
use larkbase_get_token::base::pace::Pacer;
use larkbase_get_token::base::plan::{self, Needs, RawRow, Unknown};
use larkbase_get_token::base::value::Value;
use larkbase_get_token::lenient::check_shape;
use proptest::prelude::*;

mod common;

use common::config;

/// JSON values of every kind, nested a little, with strings that look like dates, numbers, IDs
/// and URLs as well as anything at all.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let text = prop_oneof![
        any::<String>(),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?",
        "-?[0-9]{1,20}(\\.[0-9]{0,6})?(e-?[0-9]{1,3})?",
        "(ou|rec|https?://)[a-zA-Z0-9_,. /:-]{0,20}",
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        text.prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..6)
                .prop_map(|pairs| serde_json::Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn value(json: &serde_json::Value) -> Value {
    serde_json::from_value(json.clone()).unwrap()
}

const TYPES: &[i64] = &[
    1, 2, 3, 4, 5, 7, 11, 13, 15, 17, 18, 19, 20, 21, 22, 23, 1001, 1005, 99,
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn conversion_gives_a_cell_or_an_error_that_names_the_column(input in json(), kind in prop::sample::select(TYPES)) {
        let field = Field::new("fld1", "Col", kind, None);
        let v = value(&input);
        match convert::to_cell(&v, &field) {
            Ok(cell) => {
                serde_json::to_string(&cell).unwrap();
                let _ = convert::key_text(&cell, field.kind);
            }
            Err(e) => {
                prop_assert_eq!(e.column.as_deref(), Some("Col"));
                if let serde_json::Value::String(s) = &input {
                    if s.len() >= 12 {
                        prop_assert!(!e.message.contains(s.as_str()), "{}", e.message);
                    }
                }
            }
        }
        let _ = convert::simplify(v);
    }

    #[test]
    fn dates_never_panic_and_round_trip_what_they_read(text in any::<String>(), y in 0i64..=9999, mo in 1i64..=12, d in 1i64..=28, h in 0i64..=23, mi in 0i64..=59) {
        let _ = parse_iso(&text);
        let iso = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00Z");
        let ms = parse_iso(&iso).unwrap();
        prop_assert_eq!(ms.rem_euclid(60_000), 0);
        prop_assert_eq!(parse_iso(&format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00+01:00")), Some(ms - 3_600_000));
    }

    #[test]
    fn locators_answer_with_ids_or_typed_errors(text in any::<String>(), path in "[a-z/?=&%.:_-]{0,40}") {
        for input in [text.clone(), format!("https://x.larksuite.com/{path}"), format!("https://x.larksuite.com/base/{text}")] {
            match locator::base(&input, "base") {
                Ok(found) => {
                    prop_assert!(found.app_token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
                    prop_assert!(!found.app_token.is_empty() && found.app_token.len() <= 100);
                }
                Err(e) => prop_assert_eq!(e.field.as_deref(), Some("base")),
            }
            let base = locator::BaseLocation { app_token: "bascnA".into(), ..Default::default() };
            let _ = locator::table(&input, &base, "table");
            let _ = locator::view(&input, "viewId");
        }
    }

    #[test]
    fn rows_of_any_shape_prepare_to_rows_or_item_errors(rows in prop::collection::vec((json(), any::<Option<String>>()), 0..8)) {
        let columns: Vec<Field> = TYPES.iter().map(|&t| Field::new("f", &format!("c{t}"), t, None)).collect();
        let raw: Vec<RawRow> = rows
            .iter()
            .map(|(fields, id)| RawRow { item: None, record_id: id.clone(), fields: value(fields), too_large: Vec::new() })
            .collect();
        for (unknown, needs) in [(Unknown::Ignore, Needs::Fields), (Unknown::Error, Needs::Both), (Unknown::Error, Needs::RecordId)] {
            let prepared = plan::prepare(raw.clone(), &columns, unknown, needs);
            prop_assert_eq!(prepared.len(), raw.len());
            let keys = plan::key_columns(&["c1".into(), "c2".into()], &columns).unwrap();
            let wanted = plan::wanted_keys(&prepared, &keys);
            let _ = plan::lookup_filter(&keys, &wanted);
            let steps = plan::plan_upsert(prepared, &keys, &Default::default());
            prop_assert_eq!(steps.len(), raw.len());
        }
    }

    #[test]
    fn any_answer_body_reads_to_records_or_a_fixed_problem(body in json(), wrap in any::<bool>()) {
        let text = if wrap { serde_json::json!({"code": 0, "data": body}).to_string() } else { body.to_string() };
        let _ = check_shape(&text, answer::MAX_VALUES);
        if let Ok(answer) = common::decode::<Answer>(text.as_bytes()) {
            let data = answer.data;
            for result in [
                answer::page(data.clone(), &answer::record).map(|p| p.items.len()),
                answer::page(data.clone(), &answer::table).map(|p| p.items.len()),
                answer::page(data.clone(), &answer::field).map(|p| p.items.len()),
                answer::records(data.clone()).map(|r| r.len()),
                answer::found(data.clone()).map(|f| f.records.len()),
                answer::deleted(data).map(|d| d.len()),
            ] {
                if let Err(problem) = result {
                    prop_assert!(!problem.is_empty() && !problem.contains('{'), "{}", problem);
                }
            }
        }
    }

    #[test]
    fn an_upsert_never_updates_one_record_for_two_rows(
        keys_and_ids in prop::collection::vec(("[a-c]{1}", "rec[A-C]{1}"), 0..12),
        row_keys in prop::collection::vec("[a-d]{1}", 0..10),
    ) {
        let columns = vec![Field::new("fldK", "Key", 1, None)];
        let keys = plan::key_columns(&["Key".into()], &columns).unwrap();
        let table: Vec<Record> = keys_and_ids
            .iter()
            .map(|(key, id)| Record { record_id: id.clone(), fields: value(&serde_json::json!({"Key": key})) })
            .collect();
        let existing = plan::index_records(&table, &keys);
        let raw: Vec<RawRow> = row_keys
            .iter()
            .map(|key| RawRow { item: None, record_id: None, fields: value(&serde_json::json!({"Key": key})), too_large: Vec::new() })
            .collect();
        let prepared = plan::prepare(raw, &columns, Unknown::Error, Needs::Fields);
        let mut updated = std::collections::HashSet::new();
        for step in plan::plan_upsert(prepared, &keys, &existing) {
            if let plan::Step::Update { record_id, .. } = step {
                prop_assert!(updated.insert(record_id), "one record updated for two rows");
            }
        }
    }

    #[test]
    fn the_pacer_never_waits_past_its_caps(
        events in prop::collection::vec((0u64..4, 0.0f64..1e7, prop::option::of(-1e9f64..1e9), prop::option::of(-5.0f64..1e6), any::<bool>()), 0..40),
    ) {
        let pacer = Pacer::default();
        for (lane, now, reset, limit, refused) in events {
            if refused {
                pacer.slow_down(lane, now, reset, limit, 0.5);
            }
            let at = pacer.reserve(lane, now);
            prop_assert!(at >= now && at.is_finite());
        }
    }
}
