//! Store apps' app_tickets as this process receives them: Lark pushes a store app's ticket to its
//! Request URL about hourly (the Larkbase Trigger hands it over), and a store app whose params give
//! no ticket uses the newest one here. When there is none, Lark is asked to push one again, at most
//! once a minute per app, since each call of a busy workflow would ask otherwise.

/// The ticket store keeps this many apps; the one unused longest goes first.
const MAX_APPS: usize = 1000;
/// Lark is asked to resend an app's ticket at most this often.
pub const RESEND_EVERY_MS: f64 = 60_000.0;

#[derive(Clone, Debug)]
struct Entry {
    base_url: String,
    app_id: String,
    ticket: Option<String>,
    asked_at: Option<f64>,
}

#[derive(Default)]
pub struct Tickets {
    entries: Vec<Entry>,
}

// Hand-written so that no ticket reaches a log.
impl std::fmt::Debug for Tickets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tickets({} apps)", self.entries.len())
    }
}

impl Tickets {
    /// The app's ticket is now `ticket`, the newest.
    pub fn remember(&mut self, base_url: &str, app_id: &str, ticket: &str) {
        if let Some(entry) = self.entry(base_url, app_id) {
            entry.ticket = Some(ticket.to_owned());
        }
    }

    /// Lark refused `ticket`: the app has none until the next arrives (a newer one is kept).
    pub fn forget(&mut self, base_url: &str, app_id: &str, ticket: &str) {
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.base_url == base_url && e.app_id == app_id)
        {
            if entry.ticket.as_deref() == Some(ticket) {
                entry.ticket = None;
            }
        }
    }

    pub fn newest(&self, base_url: &str, app_id: &str) -> Option<String> {
        self.find(base_url, app_id)?.ticket.clone()
    }

    /// Whether to ask Lark to resend the app's ticket now; if so, the time is noted.
    pub fn ask_resend(&mut self, base_url: &str, app_id: &str, now_ms: f64) -> bool {
        let Some(entry) = self.entry(base_url, app_id) else {
            return true;
        };
        let due = entry
            .asked_at
            .is_none_or(|at| !(at..at + RESEND_EVERY_MS).contains(&now_ms));
        if due {
            entry.asked_at = Some(now_ms);
        }
        due
    }

    fn find(&self, base_url: &str, app_id: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.base_url == base_url && e.app_id == app_id)
    }

    /// The app's entry, made when missing, moved to the end (the most recently used).
    fn entry(&mut self, base_url: &str, app_id: &str) -> Option<&mut Entry> {
        let at = self
            .entries
            .iter()
            .position(|e| e.base_url == base_url && e.app_id == app_id);
        let entry = match at {
            Some(at) => self.entries.remove(at),
            None => Entry {
                base_url: base_url.to_owned(),
                app_id: app_id.to_owned(),
                ticket: None,
                asked_at: None,
            },
        };
        if self.entries.len() >= MAX_APPS {
            self.entries.remove(0);
        }
        self.entries.push(entry);
        self.entries.last_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_ticket_per_app_and_domain() {
        let mut tickets = Tickets::default();
        assert_eq!(tickets.newest("https://a", "cli_1"), None);
        tickets.remember("https://a", "cli_1", "t1");
        tickets.remember("https://a", "cli_1", "t2");
        tickets.remember("https://b", "cli_1", "other-domain");
        assert_eq!(tickets.newest("https://a", "cli_1").as_deref(), Some("t2"));
        assert_eq!(tickets.newest("https://a", "cli_2"), None);
        assert_eq!(format!("{tickets:?}"), "Tickets(2 apps)");
    }

    #[test]
    fn resend_is_asked_at_most_once_a_minute() {
        let mut tickets = Tickets::default();
        assert!(tickets.ask_resend("https://a", "cli_1", 1000.0));
        assert!(!tickets.ask_resend("https://a", "cli_1", 30_000.0));
        assert!(tickets.ask_resend("https://a", "cli_2", 30_000.0));
        assert!(tickets.ask_resend("https://a", "cli_1", 61_000.0));
        // A clock that went back does not block asking.
        assert!(tickets.ask_resend("https://a", "cli_1", 0.0));
    }

    #[test]
    fn the_store_is_bounded() {
        let mut tickets = Tickets::default();
        for n in 0..=MAX_APPS {
            tickets.remember("https://a", &format!("cli_{n}"), "t");
        }
        assert_eq!(tickets.newest("https://a", "cli_0"), None);
        assert!(tickets
            .newest("https://a", &format!("cli_{MAX_APPS}"))
            .is_some());
    }
}
