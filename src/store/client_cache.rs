//! Verified client records kept in memory: the token, introspection and
//! revocation endpoints authenticate the client on every request, and the
//! row they read changes almost never.
//!
//! An entry is dropped at once when its application changes: by this
//! process as it commits the change, and on PostgreSQL by every other
//! instance too, which hears of it through `LISTEN/NOTIFY` (the change
//! sends `pg_notify` in its own transaction, so the message goes out exactly
//! when the change commits). While an instance's listener is not connected
//! it might miss a message, so it neither uses nor fills the cache until it
//! listens again (and then starts empty).
//!
//! Entries also expire after [`TTL`]: that bounds how long a change made
//! outside any Gatehouse process (by hand in SQL; on SQLite, by a second
//! process such as the CLI's `app disable`) can go unseen. Misses are never cached, so an
//! application registered elsewhere is found at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::domain::client::Client;

/// How long an entry is trusted without a notification.
pub(super) const TTL: Duration = Duration::from_secs(5);

/// Entries kept at most; past that the cache starts again empty (a platform
/// with more active applications than this only loses the cache's benefit).
const CAPACITY: usize = 10_000;

/// The PostgreSQL channel that carries the `client_id` of a changed application.
pub(super) const CHANNEL: &str = "gatehouse_client_changed";

/// Client records by public `client_id`.
#[derive(Debug)]
pub(super) struct ClientCache {
    entries: Mutex<HashMap<String, (Client, Instant)>>,
    /// Bumped by every eviction: a lookup that started before an eviction
    /// must not put back the record it read (it may predate the change).
    generation: AtomicU64,
    /// Whether entries may be used: always on SQLite; on PostgreSQL only
    /// while the listener is connected.
    enabled: AtomicBool,
}

/// A ticket to fill the cache after a miss, valid if nothing was evicted
/// while the row was being read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ticket(u64);

impl ClientCache {
    /// An empty cache, in use at once (`enabled`) or only once a listener
    /// says so.
    pub(super) fn new(enabled: bool) -> ClientCache {
        ClientCache {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            enabled: AtomicBool::new(enabled),
        }
    }

    /// The cached record, if fresh at `now`; otherwise a ticket to fill it.
    pub(super) fn get(&self, client_id: &str, now: Instant) -> Result<Client, Ticket> {
        let ticket = Ticket(self.generation.load(Ordering::Acquire));
        if !self.enabled.load(Ordering::Acquire) {
            return Err(ticket);
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(client_id) {
            Some((client, loaded)) if now.saturating_duration_since(*loaded) < TTL => Ok(client.clone()),
            _ => Err(ticket),
        }
    }

    /// Keeps `client`, read from the database at `now` under `ticket`,
    /// unless an eviction happened since the ticket was taken.
    pub(super) fn fill(&self, ticket: Ticket, client: &Client, now: Instant) {
        if !self.enabled.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock, which evictions also take: no eviction
        // can slip between this check and the insert.
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(client.client_id.clone(), (client.clone(), now));
    }

    /// Forgets one application (it changed).
    pub(super) fn evict(&self, client_id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(client_id);
    }

    /// Forgets everything and sets whether the cache may be used.
    pub(super) fn reset(&self, enabled: bool) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.enabled.store(enabled, Ordering::Release);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::ClientPk;
    use crate::domain::scope::ScopeSet;
    use crate::domain::user::UserId;

    fn client(client_id: &str) -> Client {
        Client {
            id: ClientPk(1),
            client_id: client_id.to_owned(),
            secret_hash: None,
            secret_hint: None,
            owner_id: UserId(1),
            name: "App".to_owned(),
            homepage: "https://app.example".to_owned(),
            description: String::new(),
            redirect_uris: vec![],
            scopes: ScopeSet::default(),
            id_token_alg: crate::domain::oidc::SigningAlg::default(),
            post_logout_redirect_uris: vec![],
            created_at: 0,
        }
    }

    #[test]
    fn a_filled_entry_is_served_until_it_expires() {
        let cache = ClientCache::new(true);
        let t0 = Instant::now();
        let ticket = cache.get("app", t0).unwrap_err();
        cache.fill(ticket, &client("app"), t0);
        assert_eq!(cache.get("app", t0 + TTL / 2).map(|c| c.client_id).ok().as_deref(), Some("app"));
        assert!(cache.get("app", t0 + TTL).is_err(), "stale after the TTL");
    }

    #[test]
    fn an_eviction_during_a_read_keeps_the_read_record_out() {
        let cache = ClientCache::new(true);
        let t0 = Instant::now();
        let ticket = cache.get("app", t0).unwrap_err();
        // The row is read (old secret), then the change commits and evicts.
        cache.evict("app");
        cache.fill(ticket, &client("app"), t0);
        assert!(cache.get("app", t0).is_err(), "the record read before the change must not be kept");
    }

    #[test]
    fn eviction_and_reset_drop_entries_and_a_disabled_cache_is_bypassed() {
        let cache = ClientCache::new(true);
        let t0 = Instant::now();
        for id in ["a", "b"] {
            let ticket = cache.get(id, t0).unwrap_err();
            cache.fill(ticket, &client(id), t0);
        }
        cache.evict("a");
        assert!(cache.get("a", t0).is_err());
        assert!(cache.get("b", t0).is_ok());
        cache.reset(false);
        let ticket = cache.get("b", t0).unwrap_err();
        cache.fill(ticket, &client("b"), t0);
        assert!(cache.get("b", t0).is_err(), "a disabled cache neither serves nor keeps");
    }
}
