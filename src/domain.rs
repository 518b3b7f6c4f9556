//! Where requests go: 'lark', 'feishu', or a base URL that cannot send a secret anywhere
//! unexpected. Every flow (tokens, Lark Base, events) takes its base URL from here.

pub const LARK_BASE_URL: &str = "https://open.larksuite.com";
pub const FEISHU_BASE_URL: &str = "https://open.feishu.cn";
pub const MAX_DOMAIN_CHARS: usize = 2048;

/// 'lark', 'feishu', or a base URL: https anywhere, plain http only to this machine, and nothing
/// that could send the secret somewhere unexpected (user info, query, fragment).
pub fn base_url(domain: &str) -> Result<String, &'static str> {
    let domain = domain.trim();
    if domain.eq_ignore_ascii_case("lark") {
        return Ok(LARK_BASE_URL.to_owned());
    }
    if domain.eq_ignore_ascii_case("feishu") {
        return Ok(FEISHU_BASE_URL.to_owned());
    }
    const NOT_A_URL: &str =
        "must be 'lark', 'feishu' or a base URL such as https://open.larksuite.com";
    if domain.len() > MAX_DOMAIN_CHARS {
        return Err("is too long");
    }
    if !domain.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must not contain spaces, control or non-ASCII characters");
    }
    let (scheme, rest) = domain.split_once("://").ok_or(NOT_A_URL)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(NOT_A_URL);
    }
    if rest.contains(['?', '#']) {
        return Err("must not contain a query or fragment");
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err("must not contain a user name or password");
    }
    if path.contains("//") || path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err("has an invalid path");
    }
    let authority = authority.to_ascii_lowercase();
    let host = host_of(&authority).ok_or("has an invalid host or port")?;
    if scheme == "http" && !is_loopback(host) {
        return Err(
            "must use https:// (plain http:// is allowed only for localhost and 127.0.0.1)",
        );
    }
    Ok(format!(
        "{scheme}://{authority}{}",
        path.trim_end_matches('/')
    ))
}

/// The host part of `host[:port]` or `[v6][:port]`, when both parts are well formed.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']')?;
        let valid_v6 = !inside.is_empty()
            && inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !valid_v6 {
            return None;
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (authority.get(..inside.len() + 2)?, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        let valid_port = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !valid_port {
            return None;
        }
    }
    let valid_name = host.starts_with('[')
        || (!host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }));
    valid_name.then_some(host)
}

fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.first() == Some(&"127")
        && octets.iter().all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && o.parse::<u8>().is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_that_are_accepted() {
        for (domain, want) in [
            ("lark", LARK_BASE_URL),
            ("Feishu", FEISHU_BASE_URL),
            (" LARK ", LARK_BASE_URL),
            ("https://open.larksuite.com", LARK_BASE_URL),
            ("https://open.larksuite.com/", LARK_BASE_URL),
            ("HTTPS://Open.Feishu.CN", FEISHU_BASE_URL),
            (
                "https://proxy.example.vn:8443/lark/",
                "https://proxy.example.vn:8443/lark",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.10.20.30", "http://127.10.20.30"),
            ("http://localhost:3000/", "http://localhost:3000"),
            ("http://[::1]:9000", "http://[::1]:9000"),
            ("https://[2001:db8::1]", "https://[2001:db8::1]"),
            // Found by fuzzing: an `@` after the host is part of the path, not user info.
            ("http://[::1]/:uup/@}p:/u", "http://[::1]/:uup/@}p:/u"),
        ] {
            assert_eq!(base_url(domain).as_deref(), Ok(want), "{domain}");
        }
    }

    #[test]
    fn domains_that_are_refused() {
        for (domain, words) in [
            ("larksuite", "must be 'lark', 'feishu'"),
            ("open.larksuite.com", "must be 'lark', 'feishu'"),
            ("ftp://open.larksuite.com", "must be 'lark', 'feishu'"),
            ("javascript:alert(1)", "must be 'lark', 'feishu'"),
            ("", "must be 'lark', 'feishu'"),
            ("http://open.larksuite.com", "must use https://"),
            ("http://10.0.0.1", "must use https://"),
            ("http://127.0.0.1.evil.com", "must use https://"),
            ("http://localhost.evil.com", "must use https://"),
            ("http://[::2]", "must use https://"),
            ("http://128.0.0.1", "must use https://"),
            (
                "https://user:pass@open.larksuite.com",
                "user name or password",
            ),
            ("https://open.larksuite.com?x=1", "query or fragment"),
            ("https://open.larksuite.com/#frag", "query or fragment"),
            ("https://", "invalid host"),
            ("https://:443", "invalid host"),
            ("https://host:0", "invalid host"),
            ("https://host:65536", "invalid host"),
            ("https://host:80a", "invalid host"),
            ("https://ho_st", "invalid host"),
            ("https://-host", "invalid host"),
            ("https://host..com", "invalid host"),
            ("https://[::1", "invalid host"),
            ("https://[::1]x", "invalid host"),
            ("https://host/a/../b", "invalid path"),
            ("https://host//x", "invalid path"),
            (
                "https://open.lark\nsuite.com",
                "spaces, control or non-ASCII",
            ),
            ("https://ex ample.com", "spaces, control or non-ASCII"),
            ("https://bücher.de", "spaces, control or non-ASCII"),
        ] {
            let got = base_url(domain).expect_err(domain);
            assert!(got.contains(words), "{domain:?}: {got}");
        }
        assert_eq!(
            base_url(&format!("https://{}", "a".repeat(3000))),
            Err("is too long")
        );
    }
}
