//! Lark's events and polling for the "Larkbase Trigger" node: verifying and decrypting what Lark
//! pushes to the Request URL, telling its events apart, turning record changes into items shaped
//! like the Larkbase node's Search output, remembering which events were handled, subscribing an
//! app to a base, and polling a table by a time column. Plain Rust; `wasm` holds the exports,
//! which the Lark Base module carries (the trigger's Lark calls are Lark Base calls, with the same
//! tokens, platform and errors).

// A `BaseError` carries all that Lark said; the larger `Result`s cost nothing next to a request.
#![allow(clippy::result_large_err)]

pub mod columns;
pub mod crypto;
pub mod delivery;
pub mod event;
pub mod handle;
pub mod poll;
pub mod record;
pub mod seen;
pub mod subscribe;
#[cfg(all(target_arch = "wasm32", feature = "larkbase"))]
pub mod wasm;

// Native only: the local executor these tests use is not built for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
