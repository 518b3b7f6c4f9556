//! Which base and table: from what a user pastes, a browser URL or an ID, to Lark's `app_token` and
//! `table_id`.
//!
//! Accepted: a base's browser URL (`https://<tenant>.larksuite.com/base/<app_token>?table=<table_id>&view=<view_id>`,
//! or `.feishu.cn`, or any host with that path, for private deployments), an Open API URL
//! (`.../open-apis/bitable/v1/apps/<app_token>/tables/<table_id>/...`), or the bare IDs. A wiki URL
//! is refused with what to paste instead: its token names the wiki page, not the base.

use super::error::BaseError;

/// IDs and tokens are about 20 to 30 characters; the cap only stops absurd input.
const MAX_ID_CHARS: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseLocation {
    pub app_token: String,
    /// From a URL's `table=` query or `/tables/<id>` path, when it had one.
    pub table_id: Option<String>,
    pub view_id: Option<String>,
}

/// Reads the base: a URL or an `app_token`. `field` names the param in errors.
pub fn base(input: &str, field: &'static str) -> Result<BaseLocation, BaseError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(BaseError::invalid(
            field,
            "is empty: paste the base's URL or its app_token",
        ));
    }
    let Some(url) = Url::parse(input) else {
        return Ok(BaseLocation {
            app_token: id(input, field, "app_token")?,
            ..BaseLocation::default()
        });
    };
    if url.segments.iter().any(|s| s == "wiki") {
        return Err(BaseError::invalid(field, WIKI_PROBLEM));
    }
    if url.segments.first().map(String::as_str) == Some("share") {
        return Err(BaseError::invalid(field, SHARE_PROBLEM));
    }
    let app_token = url
        .after("base")
        .or_else(|| url.after("apps"))
        .ok_or_else(|| BaseError::invalid(field, NOT_A_BASE_URL))?;
    let table_id = url.query("table").or_else(|| url.after("tables"));
    let view_id = url.query("view");
    Ok(BaseLocation {
        app_token: id(&app_token, field, "app_token")?,
        table_id: table_id
            .map(|t| id(&t, field, "table ID in the URL"))
            .transpose()?,
        view_id: view_id
            .map(|v| id(&v, field, "view ID in the URL"))
            .transpose()?,
    })
}

/// Reads the table: a URL (its `table=` or `/tables/<id>`) or a `table_id`. An empty input falls
/// back on the table the base's URL named.
pub fn table(input: &str, base: &BaseLocation, field: &'static str) -> Result<String, BaseError> {
    let input = input.trim();
    if input.is_empty() {
        return base.table_id.clone().ok_or_else(|| {
            BaseError::invalid(
                field,
                "is empty: pick a table, or paste its URL or table ID",
            )
        });
    }
    match Url::parse(input) {
        Some(url) if url.segments.iter().any(|s| s == "wiki") => {
            Err(BaseError::invalid(field, WIKI_PROBLEM))
        }
        Some(url) => {
            let table = url.query("table").or_else(|| url.after("tables"));
            let table = table.ok_or_else(|| {
                BaseError::invalid(
                    field,
                    "is a URL without a table: open the table and copy the URL with ?table=tbl...",
                )
            })?;
            id(&table, field, "table ID")
        }
        None => id(input, field, "table ID"),
    }
}

/// A view ID (`vew...`), optional.
pub fn view(input: &str, field: &'static str) -> Result<Option<String>, BaseError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    match Url::parse(input) {
        Some(url) => Ok(url
            .query("view")
            .map(|v| id(&v, field, "view ID"))
            .transpose()?),
        None => id(input, field, "view ID").map(Some),
    }
}

const WIKI_PROBLEM: &str =
    "is a wiki URL (/wiki/...): the token in it names the wiki page, not the \
     base, and is not an app_token. Open the base in its own tab (so that the address shows \
     /base/<app_token>) and paste that URL, or paste the app_token itself";
const SHARE_PROBLEM: &str =
    "is a share link (/share/...), whose token is not the base's app_token: \
     open the base itself and paste the URL that shows /base/<app_token>";
const NOT_A_BASE_URL: &str = "is a URL without /base/<app_token> in it: open the base in Lark or \
     Feishu and paste the address from the browser";

/// Lark's tokens and IDs are letters and digits (old ones also `_` or `-`).
fn id(text: &str, field: &'static str, what: &str) -> Result<String, BaseError> {
    let text = text.trim();
    let fine = !text.is_empty()
        && text.len() <= MAX_ID_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fine {
        Ok(text.to_owned())
    } else {
        Err(BaseError::invalid(
            field,
            &format!(
                "is not a valid {what}: expected letters and digits only, at most {MAX_ID_CHARS}"
            ),
        ))
    }
}

/// The parts of a URL this module reads. Not a general URL parser: the scheme, host and port
/// are not needed (the API host is the credential's or the node's domain).
struct Url {
    segments: Vec<String>,
    query: Vec<(String, String)>,
}

impl Url {
    /// `None` when `text` is not a URL at all (so it is taken as an ID).
    fn parse(text: &str) -> Option<Self> {
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .or_else(|| text.strip_prefix("//"))
            .or_else(|| {
                // A URL pasted without its scheme: a host with a dot before the first slash.
                let (host, _) = text.split_once('/')?;
                host.contains('.').then_some(text)
            })?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let segments = path
            .split('/')
            .skip(1)
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let query = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect();
        Some(Self { segments, query })
    }

    /// The segment after the first segment equal to `name`.
    fn after(&self, name: &str) -> Option<String> {
        let at = self.segments.iter().position(|s| s == name)?;
        self.segments.get(at + 1).cloned()
    }

    fn query(&self, name: &str) -> Option<String> {
        self.query
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    }
}

/// `%XX` escapes to bytes; anything malformed is kept as it is (the ID check then refuses it).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::error::BaseErrorCode;

    fn ok(input: &str) -> BaseLocation {
        base(input, "base").unwrap()
    }

    #[test]
    fn browser_urls_on_both_hosts_and_private_ones() {
        for host in [
            "https://acme.larksuite.com",
            "https://acme-vn.sg.larksuite.com",
            "https://acme.feishu.cn",
            "https://lark.example.vn",
            "acme.larksuite.com",
        ] {
            let found = ok(&format!(
                "{host}/base/bascnAbC123xyz?table=tblQ1w2E3r4T5y6U&view=vewZ9x8C7v6B#anchor"
            ));
            assert_eq!(
                found,
                BaseLocation {
                    app_token: "bascnAbC123xyz".into(),
                    table_id: Some("tblQ1w2E3r4T5y6U".into()),
                    view_id: Some("vewZ9x8C7v6B".into()),
                },
                "{host}"
            );
        }
        assert_eq!(
            ok("https://acme.larksuite.com/base/Lx1Yz2"),
            BaseLocation {
                app_token: "Lx1Yz2".into(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn open_api_urls_and_bare_ids() {
        let found =
            ok("https://open.larksuite.com/open-apis/bitable/v1/apps/bascnA1/tables/tblB2/records");
        assert_eq!(found.app_token, "bascnA1");
        assert_eq!(found.table_id.as_deref(), Some("tblB2"));
        assert_eq!(ok("  bascnA1b2C3  ").app_token, "bascnA1b2C3");
    }

    #[test]
    fn a_wiki_url_says_what_to_paste_instead() {
        let e = base(
            "https://acme.larksuite.com/wiki/wikcnXyZ123?table=tblA&view=vewB",
            "base",
        )
        .unwrap_err();
        assert_eq!(e.code, BaseErrorCode::InvalidParams);
        assert!(e.message.starts_with("base is a wiki URL"), "{}", e.message);
        assert!(e.message.contains("/base/<app_token>"), "{}", e.message);
        let e = table(
            "https://acme.larksuite.com/wiki/wikcnXyZ123",
            &ok("bascnA"),
            "table",
        )
        .unwrap_err();
        assert!(e.message.contains("wiki"), "{}", e.message);
    }

    #[test]
    fn other_urls_and_bad_ids_are_refused() {
        for bad in [
            "https://acme.larksuite.com/docx/doxcnA1",
            "https://acme.larksuite.com/share/base/view/shrcnA1",
            "https://acme.larksuite.com/base/",
            "bas cn",
            "bascn<script>",
            "",
            "   ",
        ] {
            let e = base(bad, "base").unwrap_err();
            assert_eq!(e.code, BaseErrorCode::InvalidParams, "{bad}");
            assert_eq!(e.field.as_deref(), Some("base"));
        }
        assert!(base(&"a".repeat(101), "base").is_err());
        assert!(base(&"a".repeat(100), "base").is_ok());
    }

    #[test]
    fn the_table_from_its_own_field_or_the_base_url() {
        let with_table = ok("https://x.larksuite.com/base/bascnA?table=tblFromUrl");
        assert_eq!(table("", &with_table, "table").unwrap(), "tblFromUrl");
        assert_eq!(table("tblOwn", &with_table, "table").unwrap(), "tblOwn");
        assert_eq!(
            table(
                "https://x.larksuite.com/base/bascnA?table=tblPasted&view=vewA",
                &with_table,
                "table"
            )
            .unwrap(),
            "tblPasted"
        );
        assert!(table("", &ok("bascnA"), "table").is_err());
        assert!(table(
            "https://x.larksuite.com/base/bascnA",
            &ok("bascnA"),
            "table"
        )
        .is_err());
    }

    #[test]
    fn views_and_percent_escapes() {
        assert_eq!(view("", "view").unwrap(), None);
        assert_eq!(view("vewA1", "view").unwrap().as_deref(), Some("vewA1"));
        assert_eq!(
            view(
                "https://x.feishu.cn/base/bascnA?table=tblA&view=vew%41",
                "view"
            )
            .unwrap()
            .as_deref(),
            Some("vewA")
        );
        assert_eq!(percent_decode("a%zz%4"), "a%zz%4");
        assert_eq!(percent_decode("%E1%BA%A1"), "ạ");
    }
}
