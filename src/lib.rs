//! Lark / Feishu access tokens for self-built apps, compiled to WebAssembly.
//!
//! Everything that decides (validation, the request, parsing the answer, classifying errors, the
//! cache, single flight and retries) is plain Rust in the modules below and is tested with
//! `cargo test`; `wasm` only moves values between JS and those modules, calls fetch and tells time.

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

pub mod base;
#[cfg(all(target_arch = "wasm32", feature = "larkbase"))]
pub mod base_wasm;
pub mod cache;
pub mod error;
pub mod flight;
pub mod flow;
#[cfg(target_arch = "wasm32")]
pub mod js_platform;
pub mod params;
pub mod redact;
pub mod request;
pub mod response;
pub mod retry;
#[cfg(all(target_arch = "wasm32", feature = "token"))]
pub mod wasm;
