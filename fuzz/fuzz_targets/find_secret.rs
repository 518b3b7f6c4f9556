#![no_main]
// Any text through the secret search (its decoders of escapes, percent-encoding and entities):
// an answer, never a panic; and any text with a spelling of the secret spliced in is caught.

use larkbase_get_token::redact::SecretForms;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "FuzzCanary-secret-9b1";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let forms = SecretForms::new(SECRET);
    let _ = forms.found_in(&text);
    let cut = text.char_indices().nth(text.chars().count() / 2).map_or(0, |(at, _)| at);
    let (before, after) = text.split_at(cut);
    let escaped: String = SECRET.chars().map(|c| format!("\\u{:04x}", u32::from(c))).collect();
    for spliced in [SECRET.to_owned(), SECRET.to_uppercase(), escaped] {
        let with_secret = format!("{}{spliced}{after}", before.chars().take(2000).collect::<String>());
        assert!(forms.found_in(&with_secret), "{with_secret:?}");
    }
});
