//! Lark / Feishu access tokens for self-built apps, compiled to WebAssembly.
//!
//! Everything that decides (validation, the request, parsing the answer, classifying errors) is
//! plain Rust in the modules below and is tested with `cargo test`; `wasm` only moves values
//! between JS and those modules and calls fetch.

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

pub mod error;
pub mod params;
pub mod request;
pub mod response;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
