//! Validation of getToken's params: from loosely typed JS values to a `Params` that can only hold
//! what is safe to send.

use crate::domain::{base_url, LARK_BASE_URL};
use crate::error::TokenError;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
pub const MAX_TIMEOUT_MS: u32 = 300_000;
pub const DEFAULT_DEADLINE_MS: u32 = 30_000;
pub const MAX_DEADLINE_MS: u32 = 600_000;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
pub const MAX_ATTEMPTS: u32 = 10;
/// Lark App IDs and secrets are about 20 and 32 characters; the cap only stops absurd input.
pub const MAX_CREDENTIAL_CHARS: usize = 256;
/// Redaction looks for the secret in many spellings (case-folded, reversed, base64 at every
/// alignment, ...); a shorter secret would match ordinary words. Lark's secrets have 32 characters.
pub const MIN_SECRET_CHARS: usize = 16;
/// Strings longer than this are not copied out of JS at all (the JS entry marks them instead).
pub const MAX_INPUT_CHARS: usize = 4096;

/// One params field as the binding found it, before any validation. Deserializing one never
/// fails: whatever the value, it becomes a variant that validation can judge and name.
#[derive(Clone, PartialEq, Default)]
pub enum Input {
    #[default]
    /// `undefined` or `null`.
    Missing,
    Text(String),
    /// A string longer than `MAX_INPUT_CHARS`, left in JS.
    LongText,
    Number(f64),
    Bool(bool),
    /// Any other JS type, by its `typeof`.
    Other(&'static str),
}

// Hand-written so that an App Secret held as `Input::Text` never reaches a log.
impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("Missing"),
            Self::Text(text) => write!(f, "Text({} chars)", text.chars().count()),
            Self::LongText => f.write_str("LongText"),
            Self::Number(n) => write!(f, "Number({n})"),
            Self::Bool(b) => write!(f, "Bool({b})"),
            Self::Other(kind) => write!(f, "Other({kind})"),
        }
    }
}

/// The JS entry hands over a snapshot of the caller's params: strings, numbers, booleans and null
/// as they were, anything else as `{ kind }` (its `typeof`, `array`, or `long` for a string over
/// `MAX_INPUT_CHARS`), and `{ unreadable: field }` when reading a field threw.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawParams {
    /// The field whose getter or proxy trap threw.
    pub unreadable: Option<Input>,
    pub app_id: Option<Input>,
    pub app_secret: Option<Input>,
    pub token_type: Option<Input>,
    pub domain: Option<Input>,
    pub timeout_ms: Option<Input>,
    pub app_ticket: Option<Input>,
    pub tenant_key: Option<Input>,
    pub cache: Option<Input>,
    pub max_attempts: Option<Input>,
    pub deadline_ms: Option<Input>,
    /// 'store' for a store app, whose ticket may then come from the ticket store.
    pub app_type: Option<Input>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenType {
    Tenant,
    App,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant_access_token",
            Self::App => "app_access_token",
        }
    }
}

/// The App Secret: shown by nothing, copied out only by `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which kind of app the token is for, and so which endpoints are called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppKind {
    /// A self-built (internal) app: one call with App ID and Secret.
    SelfBuilt,
    /// A store (marketplace) app's app token, from its latest app_ticket.
    StoreApp { app_ticket: String },
    /// A store app's token for one tenant: the app token first, then the tenant token.
    StoreTenant {
        app_ticket: String,
        tenant_key: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub app_id: String,
    pub app_secret: Secret,
    pub token_type: TokenType,
    pub app_kind: AppKind,
    /// Scheme, host, optional port and path prefix, without a trailing slash.
    pub base_url: String,
    /// For each attempt.
    pub timeout_ms: u32,
    /// For all attempts and the waits between them.
    pub deadline_ms: u32,
    pub max_attempts: u32,
    /// Whether a cached token may answer; a fresh one is cached either way.
    pub use_cache: bool,
    /// A store app given no ticket: its `app_kind` holds an empty ticket until the flow puts the
    /// newest one this process received in its place (`token::tickets`). Never sent empty.
    pub ticket_from_store: bool,
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Input;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Input, E> {
        Ok(Input::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Input, E> {
        Ok(Input::Number(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Input, E> {
        Ok(Input::Number(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Input, E> {
        Ok(Input::Number(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Input, E> {
        Ok(Input::Text(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Input, E> {
        Ok(Input::Text(v))
    }

    fn visit_unit<E>(self) -> Result<Input, E> {
        Ok(Input::Missing)
    }

    fn visit_none<E>(self) -> Result<Input, E> {
        Ok(Input::Missing)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Input, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Input, A::Error> {
        Ok(Input::Other("array"))
    }

    /// The snapshot's `{ kind }` marker; any other object is just an object.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        let mut input = Input::Other("object");
        while let Some(key) = map.next_key::<String>()? {
            if key != "kind" {
                map.next_value::<de::IgnoredAny>()?;
                continue;
            }
            input = match map.next_value::<Input>()? {
                Input::Text(kind) if kind == "long" => Input::LongText,
                Input::Text(kind) => Input::Other(type_name(&kind)),
                _ => Input::Other("object"),
            };
        }
        Ok(input)
    }
}

/// A JS type name as a static string, for messages.
fn type_name(kind: &str) -> &'static str {
    [
        "array",
        "bigint",
        "boolean",
        "function",
        "number",
        "symbol",
        "undefined",
    ]
    .into_iter()
    .find(|known| *known == kind)
    .unwrap_or("object")
}

/// The params field a snapshot says it could not read, as a static name for the error.
fn known_field(field: &Input) -> &'static str {
    const FIELDS: [&str; 12] = [
        "appId",
        "appSecret",
        "tokenType",
        "domain",
        "timeoutMs",
        "appTicket",
        "tenantKey",
        "cache",
        "maxAttempts",
        "deadlineMs",
        "appType",
        "fetch",
    ];
    match field {
        Input::Text(name) => FIELDS.into_iter().find(|f| f == name).unwrap_or("params"),
        _ => "params",
    }
}

pub fn validate(raw: RawParams) -> Result<Params, TokenError> {
    if let Some(field) = raw.unreadable {
        return Err(TokenError::invalid(
            known_field(&field),
            "could not be read",
        ));
    }
    let app_id = credential("appId", raw.app_id)?;
    let app_secret = Secret(credential("appSecret", raw.app_secret)?);
    if app_secret.0.chars().count() < MIN_SECRET_CHARS {
        return Err(TokenError::invalid(
            "appSecret",
            "is too short (at least 16 characters; Lark's App Secrets have 32)",
        ));
    }
    let token_type = match raw.token_type.unwrap_or(Input::Missing) {
        Input::Missing => TokenType::Tenant,
        Input::Text(t) if t == "tenant_access_token" => TokenType::Tenant,
        Input::Text(t) if t == "app_access_token" => TokenType::App,
        _ => {
            return Err(TokenError::invalid(
                "tokenType",
                "must be 'tenant_access_token' or 'app_access_token'",
            ))
        }
    };
    let base_url = match raw.domain.unwrap_or(Input::Missing) {
        Input::Missing => LARK_BASE_URL.to_owned(),
        Input::Text(text) => {
            base_url_of(text).map_err(|problem| TokenError::invalid("domain", problem))?
        }
        Input::LongText => return Err(TokenError::invalid("domain", "is too long")),
        other => return Err(wrong_type("domain", &other)),
    };
    let timeout_ms = whole_number(
        "timeoutMs",
        raw.timeout_ms,
        DEFAULT_TIMEOUT_MS,
        MAX_TIMEOUT_MS,
        "milliseconds",
    )?;
    let deadline_ms = whole_number(
        "deadlineMs",
        raw.deadline_ms,
        DEFAULT_DEADLINE_MS,
        MAX_DEADLINE_MS,
        "milliseconds",
    )?;
    let max_attempts = whole_number(
        "maxAttempts",
        raw.max_attempts,
        DEFAULT_MAX_ATTEMPTS,
        MAX_ATTEMPTS,
        "attempts",
    )?;
    let use_cache = match raw.cache.unwrap_or(Input::Missing) {
        Input::Missing => true,
        Input::Bool(b) => b,
        _ => return Err(TokenError::invalid("cache", "must be true or false")),
    };
    let app_ticket = optional_credential("appTicket", raw.app_ticket)?;
    let tenant_key = optional_credential("tenantKey", raw.tenant_key)?;
    let store = match raw.app_type.unwrap_or(Input::Missing) {
        Input::Missing => false,
        Input::Text(t) if t == "store" => true,
        Input::Text(t) if t == "selfBuilt" => false,
        _ => {
            return Err(TokenError::invalid(
                "appType",
                "must be 'selfBuilt' or 'store'",
            ))
        }
    };
    // A store app without a ticket takes the newest one received (see `ticket_from_store`).
    let ticket_from_store = store && app_ticket.is_none();
    let app_ticket = if ticket_from_store {
        Some(String::new())
    } else {
        app_ticket
    };
    let app_kind = match (token_type, app_ticket, tenant_key) {
        (_, None, None) => AppKind::SelfBuilt,
        (TokenType::App, Some(app_ticket), None) => AppKind::StoreApp { app_ticket },
        (TokenType::Tenant, Some(app_ticket), Some(tenant_key)) => AppKind::StoreTenant {
            app_ticket,
            tenant_key,
        },
        (TokenType::Tenant, Some(_), None) => {
            return Err(TokenError::invalid(
                "tenantKey",
                "is required for a store app's tenant token (or leave out appTicket for a self-built app)",
            ))
        }
        (TokenType::Tenant, None, Some(_)) => {
            return Err(TokenError::invalid(
                "appTicket",
                "is required with tenantKey: a store app's tenant token starts from its app_ticket",
            ))
        }
        (TokenType::App, _, Some(_)) => {
            return Err(TokenError::invalid(
                "tenantKey",
                "applies to tenant tokens only, not to 'app_access_token'",
            ))
        }
    };
    Ok(Params {
        app_id,
        app_secret,
        token_type,
        app_kind,
        base_url,
        timeout_ms,
        deadline_ms,
        max_attempts,
        use_cache,
        ticket_from_store,
    })
}

/// What the ticket store is given: the App ID, the ticket and the base URL, checked as getToken
/// checks them.
pub fn ticket_params(raw: RawParams) -> Result<(String, String, String), TokenError> {
    let app_id = credential("appId", raw.app_id)?;
    let ticket = credential("appTicket", raw.app_ticket)?;
    let base_url = match raw.domain.unwrap_or(Input::Missing) {
        Input::Missing => LARK_BASE_URL.to_owned(),
        Input::Text(text) => {
            base_url_of(text).map_err(|problem| TokenError::invalid("domain", problem))?
        }
        other => return Err(wrong_type("domain", &other)),
    };
    Ok((app_id, ticket, base_url))
}

/// A whole number from 1 to `max`, or `default` when missing.
fn whole_number(
    field: &'static str,
    input: Option<Input>,
    default: u32,
    max: u32,
    unit: &str,
) -> Result<u32, TokenError> {
    match input.unwrap_or(Input::Missing) {
        Input::Missing => Ok(default),
        // Exact: n is a whole number within u32.
        Input::Number(n) if n.fract() == 0.0 && (1.0..=f64::from(max)).contains(&n) => Ok(n as u32),
        _ => Err(TokenError::invalid(
            field,
            &format!("must be a whole number of {unit} from 1 to {max}"),
        )),
    }
}

/// App tickets and tenant keys: optional, otherwise held to the same rules as the credentials.
fn optional_credential(
    field: &'static str,
    input: Option<Input>,
) -> Result<Option<String>, TokenError> {
    match input {
        None | Some(Input::Missing) => Ok(None),
        Some(Input::Text(text)) if text.trim().is_empty() => Ok(None),
        some => credential(field, some).map(Some),
    }
}

/// App ID and App Secret: pasted text, so surrounding white space is dropped; inside, only the
/// visible ASCII that Lark's credentials are made of. Messages never quote the value.
fn credential(field: &'static str, input: Option<Input>) -> Result<String, TokenError> {
    let text = match input.unwrap_or(Input::Missing) {
        Input::Missing => return Err(TokenError::invalid(field, "is required")),
        Input::Text(text) => text,
        Input::LongText => return Err(too_long(field)),
        other => return Err(wrong_type(field, &other)),
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(TokenError::invalid(field, "is empty"));
    }
    if text.chars().count() > MAX_CREDENTIAL_CHARS {
        return Err(too_long(field));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TokenError::invalid(
            field,
            "contains a space, control or non-ASCII character, which Lark credentials never have",
        ));
    }
    Ok(text.to_owned())
}

fn too_long(field: &'static str) -> TokenError {
    TokenError::invalid(field, "is too long (at most 256 characters)")
}

fn wrong_type(field: &'static str, input: &Input) -> TokenError {
    let got = match input {
        Input::Number(_) => "number",
        Input::Other(kind) => kind,
        Input::Bool(_) => "boolean",
        Input::Missing | Input::Text(_) | Input::LongText => "string",
    };
    let article = if got.starts_with(['a', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    TokenError::invalid(field, &format!("must be a string, not {article} {got}"))
}

/// `base_url`, remembering the last domain it judged: callers pass the same one call after call,
/// and parsing it again was a sixth of a cached call.
fn base_url_of(domain: String) -> Result<String, &'static str> {
    type Judged = Option<(String, Result<String, &'static str>)>;
    thread_local! {
        static LAST: std::cell::RefCell<Judged> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((seen, judged)) if *seen == domain => judged.clone(),
        _ => {
            let judged = base_url(&domain);
            *last = Some((domain, judged.clone()));
            judged
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn text(s: &str) -> Option<Input> {
        Some(Input::Text(s.to_owned()))
    }

    fn good() -> RawParams {
        RawParams {
            app_id: text("cli_a1b2c3d4e5f6a7b8"),
            app_secret: text("s3cr3t-Value-0123456789abcdefABCD"),
            ..RawParams::default()
        }
    }

    fn field_error(raw: RawParams) -> (&'static str, String) {
        let e = validate(raw).expect_err("should be rejected");
        assert_eq!(e.code, ErrorCode::InvalidParams);
        (e.field.expect("names a field"), e.message)
    }

    #[test]
    fn defaults() {
        let p = validate(good()).unwrap();
        assert_eq!(p.app_id, "cli_a1b2c3d4e5f6a7b8");
        assert_eq!(p.app_secret.expose(), "s3cr3t-Value-0123456789abcdefABCD");
        assert_eq!(p.token_type, TokenType::Tenant);
        assert_eq!(p.base_url, LARK_BASE_URL);
        assert_eq!(p.timeout_ms, DEFAULT_TIMEOUT_MS);
    }

    #[test]
    fn credentials_are_trimmed() {
        let p = validate(RawParams {
            app_id: text("  cli_x \n"),
            app_secret: text("\tsecret-0123456789 "),
            ..good()
        })
        .unwrap();
        assert_eq!(p.app_id, "cli_x");
        assert_eq!(p.app_secret.expose(), "secret-0123456789");
    }

    #[test]
    fn bad_credentials_name_the_field() {
        let cases: Vec<(Option<Input>, &str)> = vec![
            (None, "is required"),
            (Some(Input::Missing), "is required"),
            (text(""), "is empty"),
            (text("   "), "is empty"),
            (text("a b"), "space, control or non-ASCII"),
            (text("a\u{0}b"), "space, control or non-ASCII"),
            (text("cli_ứng_dụng"), "space, control or non-ASCII"),
            (text(&"x".repeat(257)), "too long"),
            (Some(Input::LongText), "too long"),
            (Some(Input::Number(42.0)), "must be a string, not a number"),
            (
                Some(Input::Other("object")),
                "must be a string, not an object",
            ),
            (Some(Input::Other("boolean")), "not a boolean"),
        ];
        for (input, words) in cases {
            for field in ["appId", "appSecret"] {
                let mut raw = good();
                if field == "appId" {
                    raw.app_id = input.clone();
                } else {
                    raw.app_secret = input.clone();
                }
                let (got, message) = field_error(raw);
                assert_eq!(got, field, "{input:?}");
                assert!(message.contains(words), "{input:?}: {message}");
            }
        }
    }

    #[test]
    fn token_types() {
        for (input, want) in [
            (None, Some(TokenType::Tenant)),
            (text("tenant_access_token"), Some(TokenType::Tenant)),
            (text("app_access_token"), Some(TokenType::App)),
            (text("user_access_token"), None),
            (text("TENANT_ACCESS_TOKEN"), None),
            (text(""), None),
            (Some(Input::Number(1.0)), None),
        ] {
            let raw = RawParams {
                token_type: input.clone(),
                ..good()
            };
            match want {
                Some(t) => assert_eq!(validate(raw).unwrap().token_type, t, "{input:?}"),
                None => assert_eq!(field_error(raw).0, "tokenType", "{input:?}"),
            }
        }
    }

    #[test]
    fn timeouts() {
        for (n, want) in [
            (1.0, Some(1)),
            (250.0, Some(250)),
            (300_000.0, Some(300_000)),
            (0.0, None),
            (-5.0, None),
            (300_001.0, None),
            (1.5, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (f64::NEG_INFINITY, None),
            (1e300, None),
        ] {
            let raw = RawParams {
                timeout_ms: Some(Input::Number(n)),
                ..good()
            };
            match want {
                Some(ms) => assert_eq!(validate(raw).unwrap().timeout_ms, ms),
                None => assert_eq!(field_error(raw).0, "timeoutMs", "{n}"),
            }
        }
        let raw = RawParams {
            timeout_ms: text("1000"),
            ..good()
        };
        assert_eq!(field_error(raw).0, "timeoutMs");
    }

    #[test]
    fn domain_of_the_wrong_type() {
        let raw = RawParams {
            domain: Some(Input::Other("object")),
            ..good()
        };
        assert_eq!(field_error(raw).0, "domain");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let raw = good();
        let p = validate(good()).unwrap();
        for shown in [format!("{raw:?}"), format!("{p:?}")] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
        }
    }
}
