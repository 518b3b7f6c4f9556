//! The HTTP requests for tokens, and the masked form of them that results may show. Bodies are
//! derived `Serialize` types: the platform encodes them (`JSON.stringify` in wasm).

use crate::http::{Payload, Request};
use crate::token::params::{Params, TokenType};
use crate::token::response::MAX_BODY_BYTES;
use serde::Serialize;

/// What the auth endpoints take: App ID and Secret (and a store app's ticket), or a store app's
/// app token and a tenant key.
#[derive(Serialize)]
#[serde(untagged)]
pub enum AuthBody {
    Credentials {
        app_id: String,
        app_secret: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        app_ticket: Option<String>,
    },
    StoreTenant {
        app_access_token: String,
        tenant_key: String,
    },
}

pub type TokenRequest = Request<AuthBody>;

pub fn self_built_path(token_type: TokenType) -> &'static str {
    match token_type {
        TokenType::Tenant => "/open-apis/auth/v3/tenant_access_token/internal",
        TokenType::App => "/open-apis/auth/v3/app_access_token/internal",
    }
}

pub const STORE_APP_TOKEN_PATH: &str = "/open-apis/auth/v3/app_access_token";
pub const STORE_TENANT_TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token";
pub const RESEND_APP_TICKET_PATH: &str = "/open-apis/auth/v3/app_ticket/resend";

/// A self-built app's tenant or app token.
pub fn self_built(params: &Params) -> TokenRequest {
    with_credentials(params, self_built_path(params.token_type), None)
}

/// A store app's app token, from the app_ticket Lark pushed to it.
pub fn store_app_token(params: &Params, app_ticket: &str) -> TokenRequest {
    with_credentials(params, STORE_APP_TOKEN_PATH, Some(app_ticket))
}

/// A store app's tenant token, from its app token and the tenant's key.
pub fn store_tenant_token(
    params: &Params,
    app_access_token: &str,
    tenant_key: &str,
) -> TokenRequest {
    let body = AuthBody::StoreTenant {
        app_access_token: app_access_token.to_owned(),
        tenant_key: tenant_key.to_owned(),
    };
    post(params, STORE_TENANT_TOKEN_PATH, body)
}

/// Asks Lark to push the app_ticket again.
pub fn resend_app_ticket(params: &Params) -> TokenRequest {
    with_credentials(params, RESEND_APP_TICKET_PATH, None)
}

fn with_credentials(params: &Params, path: &str, app_ticket: Option<&str>) -> TokenRequest {
    let body = AuthBody::Credentials {
        app_id: params.app_id.clone(),
        app_secret: params.app_secret.expose().to_owned(),
        app_ticket: app_ticket.map(str::to_owned),
    };
    post(params, path, body)
}

fn post(params: &Params, path: &str, body: AuthBody) -> TokenRequest {
    Request {
        method: "POST",
        url: format!("{}{path}", params.base_url),
        bearer: None,
        body: Some(Payload::Value(body)),
        display_url: display_url(params, path),
        max_body_bytes: MAX_BODY_BYTES,
    }
}

/// The endpoint at `path` with the App ID masked, as results show it.
pub fn display_url(params: &Params, path: &str) -> String {
    format!(
        "{}{path}?app_id={}",
        params.base_url,
        mask_app_id(&params.app_id)
    )
}

/// First 6 and last 4 characters of an App ID, enough to tell apps apart; shorter IDs show less.
pub fn mask_app_id(app_id: &str) -> String {
    let chars: Vec<char> = app_id.chars().collect();
    let (head, tail) = match chars.len() {
        n if n >= 14 => (6, 4),
        n if n >= 6 => (2, 0),
        _ => (0, 0),
    };
    let shown_head: String = chars.iter().take(head).collect();
    let shown_tail: String = chars
        .iter()
        .skip(chars.len().saturating_sub(tail))
        .collect();
    percent_encode(&format!("{shown_head}***{shown_tail}"))
}

/// Keeps the masked ID a valid query value whatever visible characters the App ID has.
fn percent_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~*".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 15] {
                out.extend(HEX.get(usize::from(nibble)).map(|&h| char::from(h)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::params::{validate, Input, RawParams};

    fn json(req: &TokenRequest) -> String {
        req.body.as_ref().unwrap().sent().to_string()
    }

    fn params(app_id: &str, secret: &str, token_type: &str, domain: &str) -> Params {
        let text = |s: &str| Some(Input::Text(s.to_owned()));
        validate(RawParams {
            app_id: text(app_id),
            app_secret: text(secret),
            token_type: text(token_type),
            domain: text(domain),
            ..RawParams::default()
        })
        .unwrap()
    }

    #[test]
    fn both_endpoints_on_both_domains() {
        for (domain, token_type, url) in [
            (
                "lark",
                "tenant_access_token",
                "https://open.larksuite.com/open-apis/auth/v3/tenant_access_token/internal",
            ),
            (
                "lark",
                "app_access_token",
                "https://open.larksuite.com/open-apis/auth/v3/app_access_token/internal",
            ),
            (
                "feishu",
                "tenant_access_token",
                "https://open.feishu.cn/open-apis/auth/v3/tenant_access_token/internal",
            ),
            (
                "feishu",
                "app_access_token",
                "https://open.feishu.cn/open-apis/auth/v3/app_access_token/internal",
            ),
            (
                "https://proxy.example.vn/lark/",
                "app_access_token",
                "https://proxy.example.vn/lark/open-apis/auth/v3/app_access_token/internal",
            ),
        ] {
            let req = self_built(&params(
                "cli_a1b2c3d4e5f6a7b8",
                "secret-0123456789",
                token_type,
                domain,
            ));
            assert_eq!(req.url, url);
            assert_eq!(req.method, "POST");
            assert_eq!(req.display_url, format!("{url}?app_id=cli_a1***a7b8"));
        }
    }

    #[test]
    fn body_is_json_with_both_credentials() {
        let req = self_built(&params(
            "cli_a1",
            r#"se"cr\et-padding-0123"#,
            "tenant_access_token",
            "lark",
        ));
        assert_eq!(
            json(&req),
            r#"{"app_id":"cli_a1","app_secret":"se\"cr\\et-padding-0123"}"#
        );
    }

    #[test]
    fn store_app_requests() {
        let p = params(
            "cli_a1b2c3d4e5f6a7b8",
            "sec-0123456789abcdef",
            "app_access_token",
            "feishu",
        );
        let app = store_app_token(&p, "ticket-1");
        assert_eq!(
            app.url,
            "https://open.feishu.cn/open-apis/auth/v3/app_access_token"
        );
        assert_eq!(
            json(&app),
            r#"{"app_id":"cli_a1b2c3d4e5f6a7b8","app_secret":"sec-0123456789abcdef","app_ticket":"ticket-1"}"#
        );
        let tenant = store_tenant_token(&p, "a-token", "tenant-9");
        assert_eq!(
            tenant.url,
            "https://open.feishu.cn/open-apis/auth/v3/tenant_access_token"
        );
        assert_eq!(
            json(&tenant),
            r#"{"app_access_token":"a-token","tenant_key":"tenant-9"}"#
        );
        let resend = resend_app_ticket(&p);
        assert_eq!(
            resend.url,
            "https://open.feishu.cn/open-apis/auth/v3/app_ticket/resend"
        );
        assert_eq!(
            json(&resend),
            r#"{"app_id":"cli_a1b2c3d4e5f6a7b8","app_secret":"sec-0123456789abcdef"}"#
        );
        assert!(resend.display_url.ends_with("?app_id=cli_a1***a7b8"));
    }

    #[test]
    fn masking() {
        for (id, masked) in [
            ("cli_a1b2c3d4e5f6a7b8", "cli_a1***a7b8"),
            ("cli_a1b2c3d4e5", "cli_a1***d4e5"),
            ("cli_a1b2c3d4e", "cl***"),
            ("abcdef", "ab***"),
            ("abcde", "***"),
            ("a", "***"),
            ("a&b#c=d?e/f%g+h", "a%26b%23c%3D***%25g%2Bh"),
        ] {
            assert_eq!(mask_app_id(id), masked, "{id}");
        }
    }

    #[test]
    fn debug_shows_neither_body_nor_full_app_id() {
        let req = self_built(&params(
            "cli_a1b2c3d4e5f6a7b8",
            "TopSecret123-padding",
            "tenant_access_token",
            "lark",
        ));
        let shown = format!("{req:?}");
        assert!(!shown.contains("TopSecret123"), "{shown}");
        assert!(!shown.contains("cli_a1b2c3d4e5f6a7b8"), "{shown}");
    }
}
