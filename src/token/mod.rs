//! Access tokens: validating getToken's params, the requests to Lark's auth endpoints, reading their
//! answers, and the cache, single flight and retries around them. Plain Rust but for `wasm`, the
//! token module's exports.

pub mod cache;
pub mod flight;
pub mod flow;
pub mod params;
pub mod request;
pub mod response;
pub mod tickets;
#[cfg(all(target_arch = "wasm32", feature = "token"))]
pub mod wasm;
