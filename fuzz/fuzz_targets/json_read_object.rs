#![no_main]

use larkbase_get_token::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = json::read_object(data);
});
