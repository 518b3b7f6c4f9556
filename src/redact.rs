//! Finding the App Secret (or an access token) in text that came from elsewhere (a server's
//! message, a token, a column name), however an echoing server or a transform spelled it. Nothing
//! is patched: text that holds it in any spelling is withheld whole by the caller, so no partial
//! match can leave pieces behind.
//!
//! The text is normalised before the search, in rounds, because escapes nest (a JSON string of a
//! percent-encoded body, say): each round applies each decoder (JSON and JS backslash escapes, and
//! `\u`/`\u{}`/`\x` escapes alone, percent-encoding in either case, quoted-printable, HTML entities
//! named, decimal and hex) to each text of the round before. Every text is searched, the raw one
//! too, since decoding can also take apart a secret that holds `%41` or `&amp;` itself. Each text
//! is folded before the search (see `fold`). The secret, as it is and as it appears JSON-escaped in
//! a request body, is looked for as it is, reversed, in ROT13, as hex, as decimal bytes, as UTF-16
//! hex, and as standard and URL-safe base64 (once and twice), UTF-16 base64 and base32 at each
//! byte alignment it can have inside a longer encoded text.

use std::cell::RefCell;
use std::rc::Rc;

/// Forms shorter than this once folded are too common to look for.
const MIN_FORM_CHARS: usize = 8;
/// Normalisation rounds: enough for an escape inside an escape inside an escape.
const ROUNDS: usize = 3;
/// Only the start of a long text is searched; callers show less than this (see `error`), and
/// the longest spelling of a 256-character secret (`\uXXXX` each) still fits after it.
pub const SEARCHED_CHARS: usize = 4096;
/// A text cut short (at a `…` or `...`, as errors cut them, wherever it is in the text) whose
/// part before the cut ends with the start of a spelling this long or longer holds the secret
/// too: the rest of it was cut off, not absent.
const CUT_FORM_CHARS: usize = 4;

/// The spellings of one secret, folded as the normalised text is.
pub struct SecretForms {
    forms: Vec<String>,
    /// Folding drops ASCII punctuation too (so that a secret split by commas or colons is still
    /// found), but not for a secret that is mostly punctuation, which would leave too little.
    drop_punctuation: bool,
}

impl SecretForms {
    /// The forms of `secret`, made once for the secret used last: every uncached call checks its
    /// token with them, and making them was a tenth of such a call. Only a hash of the secret is
    /// kept to recognise it.
    pub fn of(secret: &str) -> Rc<Self> {
        thread_local! {
            static LAST: RefCell<Option<(u64, Rc<SecretForms>)>> = const { RefCell::new(None) };
        }
        let hash = crate::token::cache::strong_hash(secret);
        LAST.with_borrow_mut(|last| match last {
            Some((seen, forms)) if *seen == hash => Rc::clone(forms),
            _ => {
                let forms = Rc::new(Self::new(secret));
                *last = Some((hash, Rc::clone(&forms)));
                forms
            }
        })
    }

    /// Every spelling of `secret` this module looks for, folded as texts are.
    pub fn new(secret: &str) -> Self {
        let drop_punctuation = fold(secret, true).len() >= MIN_FORM_CHARS;
        let mut forms: Vec<String> = Vec::with_capacity(96);
        let mut add = |form: String| {
            let form = fold(&form, drop_punctuation);
            if form.len() >= MIN_FORM_CHARS && !forms.contains(&form) {
                forms.push(form);
            }
        };
        // A transform may have been applied to the request body, where the secret is JSON-escaped.
        let json = secret.replace('\\', "\\\\").replace('"', "\\\"");
        for base in [secret.to_owned(), json.replace('/', "\\/"), json] {
            let bytes = base.as_bytes();
            let utf16: [Vec<u8>; 2] = [
                base.encode_utf16().flat_map(u16::to_le_bytes).collect(),
                base.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ];
            add(base.chars().rev().collect());
            add(base.chars().map(rot13).collect());
            add(hex(bytes));
            add(bytes.iter().map(u8::to_string).collect());
            for encoded in base64_forms(bytes) {
                // Twice encoded: the once-encoded form at any place of the text encoded again.
                base64_forms(encoded.as_bytes())
                    .into_iter()
                    .for_each(&mut add);
                add(encoded);
            }
            base32_forms(bytes).into_iter().for_each(&mut add);
            for wide in &utf16 {
                add(hex(wide));
                base64_forms(wide).into_iter().for_each(&mut add);
            }
            add(base);
        }
        Self {
            forms,
            drop_punctuation,
        }
    }

    /// Whether `text` holds the secret in any spelling this module knows.
    pub fn found_in(&self, text: &str) -> bool {
        if cut_before(text).any(|shown| self.begun_at_end(shown)) {
            return true;
        }
        let decoders: [fn(&str) -> String; 5] = [
            decode_backslash,
            decode_unicode_escapes,
            decode_percent,
            decode_quoted_printable,
            decode_html,
        ];
        let text: String = text.chars().take(SEARCHED_CHARS).collect();
        // Escapes are decoded in the text as it is and unhidden: `％４１` or `%` and `41` split by a
        // zero-width space are escapes too.
        let unhidden = unhide(&text);
        let mut layer = vec![text];
        if !layer.contains(&unhidden) {
            layer.push(unhidden);
        }
        for round in 0..=ROUNDS {
            if layer.iter().any(|text| self.holds_form(text)) {
                return true;
            }
            if round == ROUNDS {
                break;
            }
            // Every decoder on every text of the last round, one at a time: decoding all three
            // kinds at once could take apart an escape the next layer still needs.
            let mut next: Vec<String> = Vec::new();
            for text in &layer {
                for decode in decoders {
                    let decoded = decode(text);
                    if decoded != *text && !next.contains(&decoded) {
                        next.push(decoded);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            layer = next;
        }
        false
    }

    /// Whether `text` ends with the start of a spelling: where a cut fell inside the secret.
    fn begun_at_end(&self, text: &str) -> bool {
        let tail: Vec<char> = text.chars().rev().take(SEARCHED_CHARS).collect();
        let folded = fold(
            &tail.into_iter().rev().collect::<String>(),
            self.drop_punctuation,
        );
        self.forms.iter().any(|form| {
            let Some((four, _)) = form.char_indices().nth(CUT_FORM_CHARS) else {
                return false;
            };
            let first = &form[..four];
            folded
                .match_indices(first)
                .any(|(at, _)| folded.get(at..).is_some_and(|end| form.starts_with(end)))
        })
    }

    fn holds_form(&self, text: &str) -> bool {
        let folded = fold(text, self.drop_punctuation);
        self.forms.iter().any(|form| folded.contains(form.as_str()))
    }
}

/// The text before each mark of a cut (`…` or `...`), the first `MAX_CUTS` of them: a cut text
/// may go on after its mark (" (after 3 attempts)"), and a server may cut text too.
fn cut_before(text: &str) -> impl Iterator<Item = &str> {
    const MAX_CUTS: usize = 8;
    text.match_indices(['…', '.'])
        .filter(|&(at, mark)| mark == "…" || text.get(at..).is_some_and(|t| t.starts_with("...")))
        .take(MAX_CUTS)
        .filter_map(|(at, _)| text.get(..at))
}

/// Text as the search compares it: unhidden (see `unhide`), with white space dropped too, and
/// ASCII punctuation when `drop_punctuation`, and ASCII letters in lower case (after the
/// decomposition, no other letter lowers to one). So a secret split by any of them (commas and
/// colons included), or spelled in full width, is still found.
fn fold(text: &str, drop_punctuation: bool) -> String {
    let shown = |c: &char| {
        c.is_ascii_alphanumeric()
            || (!c.is_ascii() && !c.is_whitespace())
            || (!drop_punctuation && c.is_ascii_graphic())
    };
    unhide(text)
        .chars()
        .filter(shown)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `text` with compatibility forms (full-width letters and signs, ligatures, mathematical
/// letters, circled digits) decomposed to plain ones, and every character that draws nothing or
/// only marks another (controls, format and zero-width characters, combining marks, variation
/// selectors, tags, Hangul fillers) dropped. Case, spaces and punctuation are kept, so that the
/// escapes in it still decode: `％４１` and `%\u{200B}41` are `%41`.
fn unhide(text: &str) -> String {
    if text.is_ascii() {
        return text.chars().filter(|c| !c.is_ascii_control()).collect();
    }
    unicode::unhide(text)
}

/// The Unicode part of `unhide`: the host's own normalisation and character classes in wasm
/// (`String.prototype.normalize`, a `/\p{...}/u` pattern), the same from crates natively.
#[cfg(target_arch = "wasm32")]
mod unicode {
    use js_sys::{JsString, RegExp};

    thread_local! {
        static HIDDEN: RegExp = RegExp::new(super::HIDDEN_PATTERN, "gu");
    }

    pub fn unhide(text: &str) -> String {
        let decomposed = JsString::from(text).normalize("NFKD");
        HIDDEN
            .with(|hidden| decomposed.replace_by_pattern(hidden, ""))
            .into()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod unicode {
    use unicode_normalization::UnicodeNormalization;

    thread_local! {
        // regex writes `\u{...}` as `\x{...}`.
        pub static HIDDEN: Option<regex::Regex> =
            regex::Regex::new(&super::HIDDEN_PATTERN.replace("\\u", "\\x")).ok();
    }

    pub fn unhide(text: &str) -> String {
        let decomposed: String = text.nfkd().collect();
        HIDDEN.with(|hidden| match hidden {
            Some(hidden) => hidden.replace_all(&decomposed, "").into_owned(),
            None => decomposed,
        })
    }
}

/// What draws nothing or only marks another character: marks (combining, variation selectors),
/// controls, format, private-use and unassigned characters, and the Hangul fillers and the blank
/// braille pattern, which are letters and symbols that draw nothing.
const HIDDEN_PATTERN: &str = r"[\p{M}\p{C}\u{115F}\u{1160}\u{3164}\u{FFA0}\u{2800}]";

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .filter_map(|nibble| DIGITS.get(usize::from(nibble)).map(|&d| char::from(d)))
        .collect()
}

/// ROT13 of an ASCII letter; anything else as it is.
fn rot13(c: char) -> char {
    match c {
        'a'..='m' | 'A'..='M' => char::from(c as u8 + 13),
        'n'..='z' | 'N'..='Z' => char::from(c as u8 - 13),
        other => other,
    }
}

/// Standard base64 of `bytes` at each of the three alignments they can have inside a longer
/// encoded text (whole groups only), and the URL-safe spelling of each.
fn base64_forms(bytes: &[u8]) -> Vec<String> {
    let mut forms = Vec::with_capacity(6);
    for skip in 0..3 {
        let aligned = bytes.get(skip..).unwrap_or_default();
        let whole = aligned.get(..aligned.len() / 3 * 3).unwrap_or_default();
        let standard = base64(whole);
        forms.push(standard.replace('+', "-").replace('/', "_"));
        forms.push(standard);
    }
    forms
}

/// Base32 (RFC 4648) of `bytes` at each of the five alignments, whole 5-byte groups only.
fn base32_forms(bytes: &[u8]) -> Vec<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..5)
        .map(|skip| {
            let aligned = bytes.get(skip..).unwrap_or_default();
            aligned
                .chunks_exact(5)
                .flat_map(|group| {
                    let n = group.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
                    (0..8).rev().map(move |i| (n >> (i * 5) & 31) as usize)
                })
                .filter_map(|i| ALPHABET.get(i).map(|&c| char::from(c)))
                .collect()
        })
        .collect()
}

/// Standard base64 without padding, of whole 3-byte groups.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() / 3 * 4);
    for group in bytes.chunks_exact(3) {
        if let [a, b, c] = *group {
            let n = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
            for shift in [18, 12, 6, 0] {
                let index = (n >> shift & 63) as usize;
                out.extend(ALPHABET.get(index).map(|&d| char::from(d)));
            }
        }
    }
    out
}

fn hex_value(digits: &str) -> Option<u32> {
    u32::from_str_radix(digits, 16).ok()
}

/// JSON and JS escapes: `\uXXXX` (surrogate pairs joined), `\xHH`, and one-character escapes.
fn decode_backslash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let escape = rest.get(at..).unwrap_or_default();
        let (decoded, used) = backslash_escape(escape);
        out.push_str(&decoded);
        rest = escape.get(used..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// The escape at the start of `text` (which starts with a backslash): its text and its length.
fn backslash_escape(text: &str) -> (String, usize) {
    let unit = |at: usize| {
        text.get(at..at + 4)
            .filter(|d| d.len() == 4)
            .and_then(hex_value)
    };
    // `\u{H...}`, as JS and Rust write any code point.
    if let Some(braced) = text.strip_prefix("\\u{") {
        let digits = braced.split('}').next().unwrap_or_default();
        let closed = braced.get(digits.len()..digits.len() + 1) == Some("}");
        if closed && (1..=6).contains(&digits.len()) {
            if let Some(c) = hex_value(digits).and_then(char::from_u32) {
                return (String::from(c), 4 + digits.len());
            }
        }
    }
    if text.starts_with("\\u") {
        if let Some(high) = unit(2) {
            if (0xD800..0xDC00).contains(&high) && text.get(6..8) == Some("\\u") {
                if let Some(low) = unit(8).filter(|low| (0xDC00..0xE000).contains(low)) {
                    let joined = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    return (
                        char::from_u32(joined).map(String::from).unwrap_or_default(),
                        12,
                    );
                }
            }
            return (
                char::from_u32(high).map(String::from).unwrap_or_default(),
                6,
            );
        }
    }
    if text.starts_with("\\x") {
        if let Some(byte) = text.get(2..4).and_then(hex_value) {
            return (
                char::from_u32(byte).map(String::from).unwrap_or_default(),
                4,
            );
        }
    }
    let mut chars = text.chars().skip(1);
    match chars.next() {
        Some(c) => {
            let decoded = match c {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' | 'f' | 'v' | '0' => ' ',
                other => other,
            };
            (String::from(decoded), 1 + c.len_utf8())
        }
        None => (String::from('\\'), 1),
    }
}

/// Only `\uXXXX` and `\xHH`, wherever they are: unlike `decode_backslash`, a backslash before one
/// (`\\u0061`, text that ended in a backslash followed by an escaped secret) does not hide it.
fn decode_unicode_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let escape = rest.get(at..).unwrap_or_default();
        let (decoded, used) = if escape.starts_with("\\u") || escape.starts_with("\\x") {
            backslash_escape(escape)
        } else {
            (String::from('\\'), 1)
        };
        out.push_str(&decoded);
        rest = escape.get(used..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// `%HH` in either case, as UTF-8 bytes; malformed sequences are kept as they are.
fn decode_percent(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let value = bytes
            .get(i + 1..i + 3)
            .filter(|_| b == b'%')
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .filter(|digits| digits.bytes().all(|d| d.is_ascii_hexdigit()))
            .and_then(|digits| u8::from_str_radix(digits, 16).ok());
        match value {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Quoted-printable: `=HH` as a byte, and soft line breaks (`=` at the end of a line) removed.
fn decode_quoted_printable(text: &str) -> String {
    if !text.contains('=') {
        return text.to_owned();
    }
    let unbroken = text.replace("=\r\n", "").replace("=\n", "");
    decode_percent(&unbroken.replace('%', "%25").replace('=', "%"))
}

/// HTML character references: `&#NNN;`, `&#xHH;` and the named ones a server escaping text uses.
fn decode_html(text: &str) -> String {
    const NAMED: [(&str, char); 8] = [
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
        ("nbsp", ' '),
        ("sol", '/'),
        ("bsol", '\\'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let reference = rest.get(at + 1..).unwrap_or_default();
        let name_end = reference
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .unwrap_or(reference.len())
            .min(12);
        let name = reference.get(..name_end).unwrap_or_default();
        let decoded = if let Some(number) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
            hex_value(number).and_then(char::from_u32)
        } else if let Some(number) = name.strip_prefix('#') {
            number.parse::<u32>().ok().and_then(char::from_u32)
        } else {
            let lower = name.to_ascii_lowercase();
            NAMED.iter().find(|(n, _)| *n == lower).map(|(_, c)| *c)
        };
        match decoded {
            Some(c) => {
                out.push(c);
                let semicolon = usize::from(reference.get(name_end..name_end + 1) == Some(";"));
                rest = reference.get(name_end + semicolon..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = reference;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Canary/Secret\"42&x<y>+z%41";

    fn forms() -> SecretForms {
        SecretForms::new(SECRET)
    }

    fn json_escape_all(text: &str) -> String {
        text.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()
    }

    fn percent_all(text: &str, upper: bool) -> String {
        text.bytes()
            .map(|b| {
                if upper {
                    format!("%{b:02X}")
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect()
    }

    fn b64(text: &str) -> String {
        // A test-only encoder with padding, independent of the one above.
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes = text.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                out.push(if i <= chunk.len() {
                    table[(n >> shift & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
        out
    }

    #[test]
    fn every_spelling_is_found() {
        let secret = SECRET;
        let spellings = [
            secret.to_owned(),
            serde_json::to_string(secret).unwrap(),
            secret.replace('/', "\\/").replace('"', "\\\""),
            json_escape_all(secret),
            secret
                .replace('&', "\\u0026")
                .replace('<', "\\u003c")
                .replace('>', "\\u003E")
                .replace('"', "\\\""),
            percent_all(secret, true),
            percent_all(secret, false),
            secret
                .replace('%', "%25")
                .replace('"', "%22")
                .replace('&', "%26"),
            secret
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('"', "&quot;"),
            secret.chars().map(|c| format!("&#{};", c as u32)).collect(),
            secret
                .chars()
                .map(|c| format!("&#x{:X};", c as u32))
                .collect(),
            secret
                .chars()
                .map(|c| format!("&#x{:x}", c as u32))
                .collect(),
            secret.to_uppercase(),
            secret.to_lowercase(),
            secret.chars().rev().collect(),
            b64(secret),
            b64(secret)
                .replace('+', "-")
                .replace('/', "_")
                .trim_end_matches('=')
                .to_owned(),
            b64(&format!("x{secret}")),
            b64(&format!("{{\"app_secret\":\"{secret}\"}}")),
            b64(&format!("ab{secret}yz")),
            secret.bytes().map(|b| format!("{b:02x}")).collect(),
            secret.bytes().map(|b| format!("{b:02X}")).collect(),
            b64(&serde_json::json!({ "app_secret": secret }).to_string()),
            b64(&format!("x{}", serde_json::json!({ "app_secret": secret }))),
            secret.chars().map(|c| format!("{c} ")).collect(),
            secret.chars().map(|c| format!("{c}\u{200B}")).collect(),
            secret.chars().map(|c| format!("{c}\u{FEFF}\n")).collect(),
            // An escape inside an escape: a JSON string of a percent-encoded body.
            serde_json::to_string(&percent_all(secret, false)).unwrap(),
            json_escape_all(&percent_all(secret, true)),
        ];
        for spelling in spellings {
            let text = format!("bad request: body was {{app_secret={spelling}}} end");
            assert!(forms().found_in(&text), "not found: {text}");
        }
    }

    #[test]
    fn split_by_what_shows_nothing_or_in_full_width_it_is_still_found() {
        let forms = SecretForms::new("t-0123456789abcdef");
        let split = |by: char| {
            "t-0123456789abcdef"
                .chars()
                .flat_map(|c| [c, by])
                .collect::<String>()
        };
        for hidden in [
            '\u{0}',
            '\u{1}',
            '\u{1F}',
            '\u{7F}',
            '\u{AD}',
            '\u{202A}',
            '\u{2066}',
            '\u{FE0F}',
            '\u{E0020}',
            '\u{3164}',
            '\u{301}',
            '\u{200B}',
            '\u{FEFF}',
            '\u{2028}',
        ] {
            assert!(
                forms.found_in(&split(hidden)),
                "split by U+{:04X}",
                hidden as u32
            );
        }
        let wide: String = "t-0123456789abcdef"
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        assert!(forms.found_in(&wide));
        assert!(forms.found_in(&format!("bad: {}", wide.to_uppercase())));
        assert!(!forms.found_in("Nguyễn Văn A, t-0123456789abcdeX"));
        #[cfg(not(target_arch = "wasm32"))]
        assert!(
            unicode::HIDDEN.with(Option::is_some),
            "the pattern compiles"
        );
    }

    #[test]
    fn escapes_in_full_width_or_split_by_what_draws_nothing_still_decode() {
        let secret = "t-0123456789abcdef";
        let forms = SecretForms::new(secret);
        let percent: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
        let wide = |text: &str| -> String {
            text.chars()
                .map(|c| match c {
                    '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                    c => c,
                })
                .collect()
        };
        let split =
            |text: &str, by: char| -> String { text.chars().flat_map(|c| [c, by]).collect() };
        let json: String = secret
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let html: String = secret.chars().map(|c| format!("&#{};", c as u32)).collect();
        for spelling in [
            wide(&percent),
            split(&percent, '\u{200B}'),
            split(&json, '\u{200B}'),
            wide(&html),
        ] {
            assert!(forms.found_in(&format!("echo {spelling}")), "{spelling}");
        }
    }

    #[test]
    fn other_encodings_are_found_too() {
        let secret = "CanaryHostile-4d9b2e7a-secret-0005";
        let forms = SecretForms::new(secret);
        let b32 = |bytes: &[u8]| -> String {
            // A test-only encoder with padding, independent of the one above.
            let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            let mut bits = String::new();
            for b in bytes {
                bits.push_str(&format!("{b:08b}"));
            }
            while !bits.len().is_multiple_of(5) {
                bits.push('0');
            }
            let mut out: String = bits
                .as_bytes()
                .chunks(5)
                .map(|c| {
                    table[usize::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap()]
                        as char
                })
                .collect();
            while !out.len().is_multiple_of(8) {
                out.push('=');
            }
            out
        };
        let utf16le: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = secret.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let hex_of = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let spellings = [
            b32(secret.as_bytes()),
            b32(format!("xy{secret}").as_bytes()),
            secret
                .chars()
                .map(|c| match c {
                    'a'..='m' | 'A'..='M' => (c as u8 + 13) as char,
                    'n'..='z' | 'N'..='Z' => (c as u8 - 13) as char,
                    c => c,
                })
                .collect(),
            secret.bytes().map(|b| format!("={b:02X}")).collect(),
            hex_of(&utf16le),
            hex_of(&utf16be).to_uppercase(),
            b64(&String::from_utf8_lossy(&utf16le)),
            secret
                .bytes()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            secret
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
            secret
                .chars()
                .map(|c| format!("\\u{{{:x}}}", c as u32))
                .collect(),
            b64(&b64(&format!("token={secret}"))),
            secret
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(", "),
        ];
        for spelling in spellings {
            assert!(
                forms.found_in(&format!("echo: {spelling} end")),
                "not found: {spelling}"
            );
        }
        for ordinary in [
            "the table's columns are: Name, Amount, Status, Due",
            "Lark returned code 1254045: FieldNameNotFound",
            "0123456789 abcdefghijklmnopqrstuvwxyz",
        ] {
            assert!(!forms.found_in(ordinary), "{ordinary}");
        }
    }

    #[test]
    fn a_secret_that_holds_escapes_itself_is_found_raw() {
        let forms = SecretForms::new("abc%41def&amp;ghi\\u0041jkl");
        assert!(forms.found_in("echo: abc%41def&amp;ghi\\u0041jkl"));
        assert!(forms.found_in("echo: abc%2541def%26amp;ghi%5Cu0041jkl"));
    }

    #[test]
    fn ordinary_text_is_not_flagged() {
        for text in [
            "app secret invalid",
            "ok",
            "invalid param",
            "request trigger frequency limit",
            "Canary/Secret\"42&x<y>+z%4",
            "<html><body>500 Internal Server Error</body></html>",
            "",
            "\\u",
            "\\uD800\\u",
            "%",
            "%zz%4",
            "&#xFFFFFFFF; &#99999999999; &; &#; &amp",
            "t-0123456789abcdef0123456789abcdef",
        ] {
            assert!(!forms().found_in(text), "{text}");
        }
    }

    #[test]
    fn a_text_cut_inside_the_secret_holds_it() {
        let start: String = SECRET.chars().take(CUT_FORM_CHARS).collect();
        let begun = |shown: &str| format!("{}{shown}", "x".repeat(1990));
        assert!(forms().found_in(&format!("{}…", begun(&start))));
        // Split by what draws nothing, or reversed, the start is still the start.
        let hidden: String = SECRET
            .chars()
            .take(9)
            .flat_map(|c| [c, '\u{200B}'])
            .collect();
        assert!(forms().found_in(&format!("{}…", begun(&hidden))));
        let reversed: String = SECRET.chars().rev().take(10).collect();
        assert!(forms().found_in(&format!("{}…", begun(&reversed))));
        // The cut need not end the text, and may be three dots.
        assert!(forms().found_in(&format!("{}… (after 3 attempts)", begun(&start))));
        assert!(forms().found_in(&format!("{}... more", begun(&start))));
        // Too little of it to tell, or a text that was not cut: nothing is withheld.
        let three: String = SECRET.chars().take(CUT_FORM_CHARS - 1).collect();
        assert!(!forms().found_in(&format!("{}…", begun(&three))));
        assert!(!forms().found_in(&begun(&start)));
    }

    #[test]
    fn only_the_start_of_a_long_text_is_searched() {
        let far = format!("{}{SECRET}", "x".repeat(SEARCHED_CHARS));
        assert!(!forms().found_in(&far));
        let near = format!("{}{SECRET}", "x".repeat(1000));
        assert!(forms().found_in(&near));
    }

    #[test]
    fn decoders_never_panic_on_broken_input() {
        for text in [
            "\\",
            "\\u12",
            "\\x1",
            "%",
            "%4",
            "&",
            "&#",
            "&#x",
            "&#x;",
            "\\uDBFF\\uDBFF",
            "é\\ué",
            "%C3",
            "&#1114112;",
        ] {
            let _ = decode_html(&decode_percent(&decode_backslash(text)));
        }
    }
}
