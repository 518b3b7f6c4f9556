//! Lark / Feishu access tokens and Lark Base records, compiled to WebAssembly.
//!
//! Everything that decides (validation, requests, parsing answers, classifying errors, the cache,
//! single flight, retries, batching and planning) is plain Rust in the modules below and is tested
//! with `cargo test`; each feature's `wasm` module and `js_platform` only move values between JS and
//! the rest, call fetch and tell time.

// A panic in the wasm build aborts the instance, so code outside tests must not be able to panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

// The features, each in its folder: tokens, Lark Base records, and Lark's events (the trigger).
pub mod base;
#[cfg(feature = "larkbase")]
pub mod events;
pub mod token;

// What they share: where requests go, how they are sent and retried, errors and redaction.
pub mod domain;
pub mod error;
pub mod http;
#[cfg(target_arch = "wasm32")]
pub mod js_platform;
pub mod lenient;
pub mod redact;
pub mod retry;
