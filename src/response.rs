//! Reading Lark's answer: status and body in, a token or a classified error out.

use crate::error::TokenError;
use crate::json::{self, ReadError, Value};
use crate::params::TokenType;
use std::collections::HashMap;

/// Token answers are a few hundred bytes; anything near this cap is not Lark.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Lark's tokens live at most 2 hours; a day leaves room for private deployments.
pub const MAX_EXPIRE_SECONDS: i64 = 86_400;
const MAX_TOKEN_CHARS: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
pub struct Token {
    pub access_token: String,
    /// Remaining lifetime in seconds, as Lark's `expire` said.
    pub expires_in: u32,
    pub msg: String,
}

/// The fields of Lark's answer this crate reads, typed.
struct LarkBody {
    code: i64,
    msg: Option<String>,
    tenant_access_token: Option<String>,
    app_access_token: Option<String>,
    expire: Option<i64>,
}

const NOT_JSON: &str = "the body is not JSON";
const WRONG_FIELDS: &str = "code, msg, expire or the token is missing or of the wrong type";

/// Reads Lark's envelope; the problem named in the error never quotes the body.
fn lark_body(body: &[u8]) -> Result<LarkBody, &'static str> {
    let mut fields = json::read_object(body).map_err(|e| match e {
        ReadError::Syntax => NOT_JSON,
        ReadError::Shape => WRONG_FIELDS,
    })?;
    let code = match fields.remove("code") {
        Some(Value::Int(code)) => code,
        _ => return Err(WRONG_FIELDS),
    };
    Ok(LarkBody {
        code,
        msg: text_field(&mut fields, "msg")?,
        tenant_access_token: text_field(&mut fields, "tenant_access_token")?,
        app_access_token: text_field(&mut fields, "app_access_token")?,
        expire: match fields.remove("expire") {
            None | Some(Value::Null) => None,
            Some(Value::Int(expire)) => Some(expire),
            Some(_) => return Err(WRONG_FIELDS),
        },
    })
}

/// Lark's envelope, or the error for a body that is none: on a non-2xx status an HTTP error (the
/// body was not Lark's), on a 2xx one a bad response.
fn envelope(status: u16, body: &[u8]) -> Result<LarkBody, TokenError> {
    lark_body(body).map_err(|problem| {
        if (200..=299).contains(&status) {
            TokenError::bad_response(problem, Some(status))
        } else {
            TokenError::http(status)
        }
    })
}

fn text_field(
    fields: &mut HashMap<String, Value>,
    name: &str,
) -> Result<Option<String>, &'static str> {
    match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(text)) => Ok(Some(text)),
        Some(_) => Err(WRONG_FIELDS),
    }
}

/// Checks what can be judged before the body is read. `status` 0 is what a fetch with
/// `redirect: 'manual'` reports for a redirect in browsers.
pub fn check_head(
    status: u16,
    redirected: bool,
    content_length: Option<&str>,
) -> Result<(), TokenError> {
    if status == 0 || (300..=399).contains(&status) || redirected {
        return Err(TokenError::redirect(status));
    }
    let declared_too_big = content_length
        .and_then(|len| len.trim().parse::<u64>().ok())
        .is_some_and(|len| len > MAX_BODY_BYTES as u64);
    if declared_too_big {
        return Err(body_too_big(status));
    }
    Ok(())
}

pub fn body_too_big(status: u16) -> TokenError {
    TokenError::bad_response("the body is larger than 1 MiB", Some(status))
}

/// `secret` is redacted from every text taken from the answer, since some servers echo the request.
pub fn parse(
    status: u16,
    body: &[u8],
    token_type: TokenType,
    secret: &str,
) -> Result<Token, TokenError> {
    let success_status = (200..=299).contains(&status);
    let body = envelope(status, body)?;
    let msg = redact(body.msg.unwrap_or_default(), secret);
    if body.code != 0 {
        return Err(TokenError::lark(body.code, msg, status));
    }
    if !success_status {
        return Err(TokenError::http(status));
    }
    let bad = |problem: &str| TokenError::bad_response(problem, Some(status));
    let token = match token_type {
        TokenType::Tenant => body.tenant_access_token,
        TokenType::App => body.app_access_token,
    };
    let token = match token {
        Some(token) if !token.is_empty() => token,
        _ => return Err(bad(&format!("code 0 but no {}", token_type.as_str()))),
    };
    if token.len() > MAX_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(
            "the token has characters or a length no access token has",
        ));
    }
    if token.contains(secret) {
        return Err(bad("the token contains the App Secret"));
    }
    let expires_in = match body.expire {
        Some(expire) if (1..=MAX_EXPIRE_SECONDS).contains(&expire) => u32::try_from(expire).ok(),
        _ => None,
    }
    .ok_or_else(|| bad("expire is missing or not a lifetime from 1 to 86400 seconds"))?;
    Ok(Token {
        access_token: token,
        expires_in,
        msg,
    })
}

/// An answer that carries no token, only Lark's `code` and `msg` (the app_ticket resend).
pub fn parse_ack(status: u16, body: &[u8], secret: &str) -> Result<(i64, String), TokenError> {
    let success_status = (200..=299).contains(&status);
    let ack = envelope(status, body)?;
    let msg = redact(ack.msg.unwrap_or_default(), secret);
    match (ack.code, success_status) {
        (0, true) => Ok((0, msg)),
        (0, false) => Err(TokenError::http(status)),
        (code, _) => Err(TokenError::lark(code, msg, status)),
    }
}

/// Replaces the secret, as sent and in the forms an echoing server may have escaped it into, with
/// `***` (or a run of another character when the secret holds a `*`).
pub fn redact(text: String, secret: &str) -> String {
    if secret.is_empty() {
        return text;
    }
    let mut forms = vec![
        secret.to_owned(),
        json_escaped(secret, false),
        json_escaped(secret, true),
        percent_encoded(secret),
        html_escaped(secret),
    ];
    // Longest first, so that an escaped form is replaced whole before the raw form inside it.
    forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    forms.dedup();
    // The marker is made of a character no form contains, so that it can never, together with the
    // text around it, spell the secret again (as "[redacted]" would for a secret such as "act").
    let free = "*#~^|!"
        .chars()
        .chain('!'..='~')
        .find(|c| !forms.iter().any(|form| form.contains(*c)));
    let mut text = text;
    match free {
        Some(c) => {
            let marker = String::from(c).repeat(3);
            for form in &forms {
                if text.contains(form.as_str()) {
                    text = text.replace(form.as_str(), &marker);
                }
            }
        }
        // A secret holding every visible character: remove it until no form is left, since a
        // removal can join two pieces into a new occurrence.
        None => {
            while let Some(form) = forms.iter().find(|form| text.contains(form.as_str())) {
                text = text.replace(form.as_str(), "");
            }
        }
    }
    text
}

fn json_escaped(text: &str, escape_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slash => out.push_str("\\/"),
            c => out.push(c),
        }
    }
    out
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn html_escaped(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const SECRET: &str = "Canary/Secret\"42&x";

    fn tenant(status: u16, body: &str) -> Result<Token, TokenError> {
        parse(status, body.as_bytes(), TokenType::Tenant, SECRET)
    }

    #[test]
    fn tenant_token() {
        let t = tenant(
            200,
            r#"{"code":0,"msg":"ok","tenant_access_token":"t-abc","expire":7140}"#,
        )
        .unwrap();
        assert_eq!(
            t,
            Token {
                access_token: "t-abc".into(),
                expires_in: 7140,
                msg: "ok".into()
            }
        );
    }

    #[test]
    fn app_token_is_taken_from_its_own_field() {
        let body = r#"{"code":0,"msg":"ok","app_access_token":"a-1","tenant_access_token":"t-1","expire":4567}"#;
        let t = parse(200, body.as_bytes(), TokenType::App, SECRET).unwrap();
        assert_eq!((t.access_token.as_str(), t.expires_in), ("a-1", 4567));
        let t = parse(200, body.as_bytes(), TokenType::Tenant, SECRET).unwrap();
        assert_eq!(t.access_token, "t-1");
    }

    #[test]
    fn expire_is_taken_as_sent() {
        for expire in [1, 60, 4567, 7140, 7200, 86_400] {
            let body = format!(r#"{{"code":0,"tenant_access_token":"t","expire":{expire}}}"#);
            assert_eq!(tenant(200, &body).unwrap().expires_in as i64, expire);
        }
    }

    #[test]
    fn lark_error_codes() {
        for (code, class) in [
            (10003, ErrorCode::AuthFailed),
            (10014, ErrorCode::AuthFailed),
            (99991543, ErrorCode::AuthFailed),
            (99991400, ErrorCode::RateLimited),
            (10012, ErrorCode::LarkError),
            (99991661, ErrorCode::LarkError),
            (99991662, ErrorCode::LarkError),
            (99991663, ErrorCode::LarkError),
            (99991664, ErrorCode::LarkError),
            (99991671, ErrorCode::LarkError),
            (99991673, ErrorCode::LarkError),
            (12345, ErrorCode::LarkError),
        ] {
            for status in [200, 400] {
                let e = tenant(status, &format!(r#"{{"code":{code},"msg":"nope"}}"#)).unwrap_err();
                assert_eq!(e.code, class, "{code} with HTTP {status}");
                assert_eq!(e.lark_code, Some(code));
                assert_eq!(e.lark_msg.as_deref(), Some("nope"));
                assert_eq!(e.http_status, Some(status));
            }
        }
    }

    #[test]
    fn bodies_that_are_not_lark() {
        for (status, body, class, words) in [
            (200, "<html>502</html>", ErrorCode::BadResponse, "not JSON"),
            (
                200,
                r#"{"code":0,"tenant_acc"#,
                ErrorCode::BadResponse,
                "not JSON",
            ),
            (200, "", ErrorCode::BadResponse, "not JSON"),
            (200, "[]", ErrorCode::BadResponse, "wrong type"),
            (200, "null", ErrorCode::BadResponse, "wrong type"),
            (200, r#"{"msg":"ok"}"#, ErrorCode::BadResponse, "missing"),
            (
                200,
                r#"{"code":"0","tenant_access_token":"t","expire":1}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (200, r#"{"code":0.5}"#, ErrorCode::BadResponse, "wrong type"),
            (
                200,
                r#"{"code":0,"tenant_access_token":7,"expire":1}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":"7200"}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (
                200,
                r#"{"code":0,"expire":7200}"#,
                ErrorCode::BadResponse,
                "no tenant_access_token",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"","expire":7200}"#,
                ErrorCode::BadResponse,
                "no tenant_access_token",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t x","expire":7200}"#,
                ErrorCode::BadResponse,
                "characters",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t"}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":0}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":-5}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":86401}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":1e3}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (
                500,
                "<html>Internal Server Error</html>",
                ErrorCode::HttpError,
                "HTTP 500",
            ),
            (502, "", ErrorCode::HttpError, "HTTP 502"),
            (
                404,
                r#"{"error":"not found"}"#,
                ErrorCode::HttpError,
                "HTTP 404",
            ),
            (
                503,
                r#"{"code":0,"tenant_access_token":"t","expire":1}"#,
                ErrorCode::HttpError,
                "HTTP 503",
            ),
            (429, "slow down", ErrorCode::RateLimited, "429"),
        ] {
            let e = tenant(status, body).unwrap_err();
            assert_eq!(e.code, class, "{status} {body}");
            assert_eq!(e.http_status, Some(status));
            assert!(e.message.contains(words), "{body}: {}", e.message);
        }
    }

    #[test]
    fn head_checks() {
        for status in [0, 301, 302, 303, 307, 308] {
            let e = check_head(status, false, None).unwrap_err();
            assert_eq!(e.code, ErrorCode::HttpError, "{status}");
        }
        assert!(check_head(200, true, None).is_err());
        assert_eq!(
            check_head(200, false, Some("1048577")).unwrap_err().code,
            ErrorCode::BadResponse
        );
        for ok in [None, Some("1048576"), Some("120"), Some("junk")] {
            assert!(check_head(200, false, ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn echoed_secrets_are_redacted_in_every_form() {
        let echoes = [
            format!("bad request: {SECRET}"),
            format!(
                r#"bad request body {{"app_secret":"{}"}}"#,
                json_escaped(SECRET, false)
            ),
            format!("body: {}", json_escaped(SECRET, true)),
            format!("form: app_secret={}", percent_encoded(SECRET)),
            format!("<p>{}</p>", html_escaped(SECRET)),
        ];
        for echo in echoes {
            let body = format!(r#"{{"code":10014,"msg":{}}}"#, json::quote(&echo));
            let e = tenant(400, &body).unwrap_err();
            let shown = format!("{e:?} {e}");
            for form in ["Canary/Secret", "Canary%2FSecret", "Canary\\/Secret"] {
                assert!(!shown.contains(form), "{shown}");
            }
            assert!(shown.contains("***"), "{shown}");
        }
    }

    #[test]
    fn the_marker_never_spells_the_secret() {
        assert_eq!(redact("act".into(), "act"), "***");
        assert_eq!(redact("]zz".into(), "]z"), "***z");
        assert_eq!(redact("a*b".into(), "a*b"), "###");
        let every: String = ('!'..='~').collect();
        assert_eq!(redact(format!("x{every}y"), &every), "xy");
    }

    #[test]
    fn a_token_holding_the_secret_is_refused() {
        let body = r#"{"code":0,"tenant_access_token":"Canary-Token","expire":60}"#;
        let e = parse(200, body.as_bytes(), TokenType::Tenant, "Canary").unwrap_err();
        assert_eq!(e.code, ErrorCode::BadResponse);
        assert!(!e.message.contains("Canary"));
    }

    #[test]
    fn acks() {
        assert_eq!(
            parse_ack(200, br#"{"code":0,"msg":"ok"}"#, SECRET).unwrap(),
            (0, "ok".into())
        );
        let e =
            parse_ack(200, br#"{"code":10014,"msg":"app secret invalid"}"#, SECRET).unwrap_err();
        assert_eq!(e.code, ErrorCode::AuthFailed);
        assert_eq!(
            parse_ack(502, b"<html>", SECRET).unwrap_err().code,
            ErrorCode::HttpError
        );
        assert_eq!(
            parse_ack(200, b"<html>", SECRET).unwrap_err().code,
            ErrorCode::BadResponse
        );
    }

    #[test]
    fn success_msg_is_redacted_too() {
        let body = format!(
            r#"{{"code":0,"msg":{},"tenant_access_token":"t","expire":60}}"#,
            json::quote(SECRET)
        );
        assert_eq!(tenant(200, &body).unwrap().msg, "***");
    }
}
