//! The token cache: which token may still be handed out, for how long, and which to forget first.

use crate::token::params::{AppKind, Params, TokenType};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The one map type of the crate: the cache, single flight and the Lark Base locks use it.
pub type Map<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A cached token is handed out until this long before Lark's expiry, so that a caller never gets
/// a token that dies in its hands. Lark renews a token only in its last 30 minutes, so any margin
/// under that still gets the same token back from Lark until then.
pub const SAFETY_MARGIN_MS: f64 = 5.0 * 60.0 * 1000.0;
pub const DEFAULT_CAPACITY: usize = 1000;

/// What tells two tokens apart: everything that changes which endpoint is asked and with which
/// body. The secret and the app_ticket are in it only as hashes, so that a changed one misses the
/// cache while neither is kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    base_url: String,
    app_id: String,
    secret_hash: u64,
    token_type: TokenType,
    kind: KeyKind,
}

/// The kind of app, and for store apps what their requests add.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum KeyKind {
    SelfBuilt,
    Store {
        ticket_hash: u64,
        /// For a tenant token only; a store app's app token is the same for every tenant.
        tenant_key: Option<String>,
    },
}

/// SipHash with fixed keys: a secret's hash is stable within the instance and never leaves it.
pub fn strong_hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl CacheKey {
    /// The key as one line of text, for the JS entry's copy of the cache (which outlives a broken
    /// or replaced instance): what it holds of the secret and ticket is their hashes.
    pub fn to_text(&self) -> String {
        let kind = match &self.kind {
            KeyKind::SelfBuilt => "self".to_owned(),
            KeyKind::Store {
                ticket_hash,
                tenant_key,
            } => format!(
                "store {ticket_hash:x} {}",
                tenant_key.as_deref().unwrap_or("")
            ),
        };
        format!(
            "{} {} {:x} {} {kind}",
            self.base_url,
            self.app_id,
            self.secret_hash,
            self.token_type.as_str()
        )
    }

    /// A key written by `to_text`; `None` for anything else.
    pub fn from_text(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
        let base_url = parts.next()?.to_owned();
        let app_id = parts.next()?.to_owned();
        let secret_hash = u64::from_str_radix(parts.next()?, 16).ok()?;
        let token_type = match parts.next()? {
            "tenant_access_token" => TokenType::Tenant,
            "app_access_token" => TokenType::App,
            _ => return None,
        };
        let kind = match parts.next()? {
            "self" => KeyKind::SelfBuilt,
            "store" => KeyKind::Store {
                ticket_hash: u64::from_str_radix(parts.next()?, 16).ok()?,
                tenant_key: Some(parts.next()?.to_owned()).filter(|t| !t.is_empty()),
            },
            _ => return None,
        };
        let fine = parts.next().is_none() && !base_url.is_empty() && !app_id.is_empty();
        fine.then_some(Self {
            base_url,
            app_id,
            secret_hash,
            token_type,
            kind,
        })
    }

    pub fn new(params: &Params, token_type: TokenType) -> Self {
        let kind = match (&params.app_kind, token_type) {
            (AppKind::SelfBuilt, _) => KeyKind::SelfBuilt,
            (AppKind::StoreApp { app_ticket }, _)
            | (AppKind::StoreTenant { app_ticket, .. }, TokenType::App) => KeyKind::Store {
                ticket_hash: strong_hash(app_ticket),
                tenant_key: None,
            },
            (
                AppKind::StoreTenant {
                    app_ticket,
                    tenant_key,
                },
                TokenType::Tenant,
            ) => KeyKind::Store {
                ticket_hash: strong_hash(app_ticket),
                tenant_key: Some(tenant_key.clone()),
            },
        };
        Self {
            base_url: params.base_url.clone(),
            app_id: params.app_id.clone(),
            secret_hash: strong_hash(params.app_secret.expose()),
            token_type,
            kind,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedToken {
    pub access_token: String,
    /// The endpoint that issued it, App ID masked: what results show as `request.url`.
    pub display_url: String,
    /// Milliseconds since the epoch at which Lark said the token expires.
    pub expires_at_ms: u64,
    pub msg: String,
}

impl CachedToken {
    /// Seconds left at `now_ms`, to the nearest second: a token handed out a moment ago reports
    /// exactly the `expire` Lark gave, not one second less.
    pub fn remaining_s(&self, now_ms: f64) -> u32 {
        let left = (self.expires_at_ms as f64 - now_ms) / 1000.0;
        // Saturating: a NaN or negative clock reading gives 0, an absurd one u32::MAX.
        left.round().max(0.0) as u32
    }
}

/// A bounded map from key to token that forgets the least recently used entry when full.
#[derive(Debug)]
pub struct TokenCache {
    capacity: usize,
    /// Each token, with when it was last used and when it was put in (both on `clock`).
    entries: Map<CacheKey, (CachedToken, u64, u64)>,
    clock: u64,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl TokenCache {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Map::default(),
            clock: 0,
        }
    }

    /// The token for `key`, if it is still good beyond the safety margin at `now_ms`.
    pub fn get(&mut self, key: &CacheKey, now_ms: f64) -> Option<CachedToken> {
        self.clock += 1;
        let tick = self.clock;
        let (token, used, _) = self.entries.get_mut(key)?;
        if now_ms + SAFETY_MARGIN_MS >= token.expires_at_ms as f64 {
            return None;
        }
        *used = tick;
        Some(token.clone())
    }

    pub fn insert(&mut self, key: CacheKey, token: CachedToken) {
        self.clock += 1;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used, _))| *used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (token, self.clock, self.clock));
    }

    /// The entries put in after `since`, and the clock to ask from next time.
    pub fn changes_since(&self, since: u64) -> (u64, Vec<(&CacheKey, &CachedToken)>) {
        let changes = self
            .entries
            .iter()
            .filter(|(_, (_, _, put))| *put > since)
            .map(|(key, (token, _, _))| (key, token))
            .collect();
        (self.clock, changes)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::params::{validate, Input, RawParams};

    /// `secret` is padded to the length validation asks for.
    fn params(app_id: &str, secret: &str, domain: &str) -> Params {
        let text = |s: &str| Some(Input::Text(s.to_owned()));
        validate(RawParams {
            app_id: text(app_id),
            app_secret: text(&format!("{secret}-0123456789abcdef")),
            domain: text(domain),
            ..RawParams::default()
        })
        .unwrap()
    }

    fn key(app_id: &str) -> CacheKey {
        CacheKey::new(&params(app_id, "secret", "lark"), TokenType::Tenant)
    }

    fn token(name: &str, expires_at_ms: u64) -> CachedToken {
        CachedToken {
            access_token: name.into(),
            display_url: "https://open.larksuite.com/x?app_id=***".into(),
            expires_at_ms,
            msg: "ok".into(),
        }
    }

    const HOUR_MS: u64 = 3_600_000;

    #[test]
    fn served_until_the_safety_margin() {
        let mut cache = TokenCache::default();
        cache.insert(key("a"), token("t-a", 2 * HOUR_MS));
        let margin = SAFETY_MARGIN_MS as u64;
        assert!(cache.get(&key("a"), 0.0).is_some());
        assert!(cache
            .get(&key("a"), (2 * HOUR_MS - margin - 1) as f64)
            .is_some());
        assert!(cache
            .get(&key("a"), (2 * HOUR_MS - margin) as f64)
            .is_none());
        assert!(cache.get(&key("a"), (3 * HOUR_MS) as f64).is_none());
    }

    #[test]
    fn remaining_lifetime_counts_down() {
        let t = token("t", 7_200_000);
        assert_eq!(t.remaining_s(0.0), 7200);
        assert_eq!(t.remaining_s(3.0), 7200);
        assert_eq!(t.remaining_s(1_000_000.0), 6200);
        assert_eq!(t.remaining_s(1_000_600.0), 6199);
        assert_eq!(t.remaining_s(9_000_000.0), 0);
        assert_eq!(t.remaining_s(f64::NAN), 0);
    }

    #[test]
    fn keys_differ_by_domain_app_secret_type_kind_ticket_and_tenant() {
        let base = CacheKey::new(&params("a", "s1", "lark"), TokenType::Tenant);
        assert_eq!(
            base,
            CacheKey::new(&params("a", "s1", "lark"), TokenType::Tenant)
        );
        for other in [
            CacheKey::new(&params("a", "s1", "feishu"), TokenType::Tenant),
            CacheKey::new(&params("b", "s1", "lark"), TokenType::Tenant),
            CacheKey::new(&params("a", "s2", "lark"), TokenType::Tenant),
            CacheKey::new(&params("a", "s1", "lark"), TokenType::App),
        ] {
            assert_ne!(base, other);
        }
        let mut store = params("a", "s1", "lark");
        store.app_kind = AppKind::StoreTenant {
            app_ticket: "t".into(),
            tenant_key: "tenant-1".into(),
        };
        let mut other_tenant = store.clone();
        other_tenant.app_kind = AppKind::StoreTenant {
            app_ticket: "t".into(),
            tenant_key: "tenant-2".into(),
        };
        assert_ne!(
            CacheKey::new(&store, TokenType::Tenant),
            CacheKey::new(&other_tenant, TokenType::Tenant)
        );
        // The app token of a store app is the same whichever tenant asked for it.
        assert_eq!(
            CacheKey::new(&store, TokenType::App),
            CacheKey::new(&other_tenant, TokenType::App)
        );
        // A self-built app's app token never answers for a store app of the same App ID, nor
        // one store app's token for another app_ticket.
        let self_built = params("a", "s1", "lark");
        let mut store_app = self_built.clone();
        store_app.app_kind = AppKind::StoreApp {
            app_ticket: "t".into(),
        };
        let mut newer_ticket = self_built.clone();
        newer_ticket.app_kind = AppKind::StoreApp {
            app_ticket: "t2".into(),
        };
        let app_key = |p: &Params| CacheKey::new(p, TokenType::App);
        assert_ne!(app_key(&self_built), app_key(&store_app));
        assert_ne!(app_key(&store_app), app_key(&newer_ticket));
        assert_eq!(app_key(&store_app), app_key(&store));
    }

    #[test]
    fn the_secret_is_not_in_the_key() {
        let shown = format!(
            "{:?}",
            CacheKey::new(&params("a", "TopSecretValue", "lark"), TokenType::Tenant)
        );
        assert!(!shown.contains("TopSecretValue"), "{shown}");
    }

    #[test]
    fn least_recently_used_goes_first() {
        let mut cache = TokenCache::with_capacity(3);
        for app in ["a", "b", "c"] {
            cache.insert(key(app), token(app, 2 * HOUR_MS));
        }
        assert!(cache.get(&key("a"), 0.0).is_some()); // a is now the most recent
        cache.insert(key("d"), token("d", 2 * HOUR_MS));
        assert_eq!(cache.len(), 3);
        assert!(
            cache.get(&key("b"), 0.0).is_none(),
            "b was the least recently used"
        );
        for app in ["a", "c", "d"] {
            assert!(cache.get(&key(app), 0.0).is_some(), "{app}");
        }
        // Replacing an entry never evicts another one.
        cache.insert(key("a"), token("a2", 2 * HOUR_MS));
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&key("a"), 0.0).unwrap().access_token, "a2");
    }

    #[test]
    fn keys_and_changes_can_be_carried_to_another_cache() {
        let mut store = params("a", "s1", "lark");
        store.app_kind = AppKind::StoreTenant {
            app_ticket: "t".into(),
            tenant_key: "tenant-1".into(),
        };
        for key in [
            key("cli_x"),
            CacheKey::new(&store, TokenType::Tenant),
            CacheKey::new(&store, TokenType::App),
        ] {
            assert_eq!(CacheKey::from_text(&key.to_text()), Some(key.clone()));
            assert!(!key.to_text().contains("s1-0123"), "{}", key.to_text());
        }
        for bad in [
            "",
            "a b",
            "u a zz tenant_access_token self",
            "u a 1f tenant_access_token self x",
        ] {
            assert_eq!(CacheKey::from_text(bad), None, "{bad}");
        }
        let mut cache = TokenCache::default();
        cache.insert(key("a"), token("t-a", 2 * HOUR_MS));
        let (version, changes) = cache.changes_since(0);
        assert_eq!(changes.len(), 1);
        cache.get(&key("a"), 0.0);
        assert!(
            cache.changes_since(version).1.is_empty(),
            "a use is no change"
        );
        cache.insert(key("b"), token("t-b", 2 * HOUR_MS));
        let (_, changes) = cache.changes_since(version);
        assert_eq!(changes[0].1.access_token, "t-b");
    }

    #[test]
    fn bounded_under_many_apps() {
        let mut cache = TokenCache::with_capacity(DEFAULT_CAPACITY);
        for n in 0..10_000 {
            cache.insert(key(&format!("cli_{n}")), token("t", 2 * HOUR_MS));
        }
        assert_eq!(cache.len(), DEFAULT_CAPACITY);
        cache.clear();
        assert!(cache.is_empty());
    }
}
