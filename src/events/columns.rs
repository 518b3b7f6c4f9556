//! The tables' columns as the trigger last read them, so that a record event's field IDs become
//! column names without a request per event. A column event, an unknown field ID or age makes the
//! trigger read them again.

use crate::base::answer::FieldInfo;
use std::collections::VecDeque;

/// Columns older than this are read again (renames are also column events, which refresh).
pub const MAX_AGE_MS: f64 = 10.0 * 60.0 * 1000.0;
const MAX_TABLES: usize = 200;

#[derive(Default)]
pub struct Columns {
    tables: VecDeque<(String, f64, Vec<FieldInfo>)>,
}

/// One table, wherever it is: the API's base URL, the base and the table.
pub fn key(base_url: &str, app_token: &str, table_id: &str) -> String {
    format!("{base_url} {app_token} {table_id}")
}

impl Columns {
    pub fn get(&self, key: &str, now_ms: f64) -> Option<Vec<FieldInfo>> {
        self.tables
            .iter()
            .find(|(k, at, _)| k == key && now_ms - at < MAX_AGE_MS && now_ms >= *at)
            .map(|(_, _, columns)| columns.clone())
    }

    pub fn put(&mut self, key: &str, now_ms: f64, columns: Vec<FieldInfo>) {
        self.forget(key);
        if self.tables.len() >= MAX_TABLES {
            self.tables.pop_front();
        }
        self.tables.push_back((key.to_owned(), now_ms, columns));
    }

    pub fn forget(&mut self, key: &str) {
        self.tables.retain(|(k, _, _)| k != key);
    }
}
