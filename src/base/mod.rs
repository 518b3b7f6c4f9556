//! Lark Base (Bitable) records for the "Larkbase" node: which base and table, the table's columns,
//! converting values for them, batching at Lark's limits, planning upserts, and what each of Lark
//! Base's error codes means. Plain Rust, tested by `cargo test`; the flow that sends the requests
//! is generic over the platform, like the token flow.

// A `BaseError` carries all that Lark said (code, message, hint, column). The larger `Result`s it
// makes cost a few bytes of copying per call, nothing next to the request each call is about.
#![allow(clippy::result_large_err)]

pub mod answer;
pub mod api;
pub mod convert;
pub mod error;
pub mod fields;
pub mod flow;
pub mod locator;
pub mod lock;
pub mod ops;
pub mod pace;
pub mod params;
pub mod plan;
pub mod value;
#[cfg(all(target_arch = "wasm32", feature = "larkbase"))]
pub mod wasm;
