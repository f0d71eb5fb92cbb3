//! What every request handler shares; cheap to clone.

use std::sync::Arc;

use crate::accounts::PasswordHasher;
use crate::accounts::two_factor::TotpSealer;
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::Keyring;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::store::Store;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Password hashing.
    pub hasher: Arc<PasswordHasher>,
    /// The ID token signing keys.
    pub keys: Arc<Keyring>,
    /// Seals and opens TOTP secrets at rest.
    pub totp_sealer: Arc<TotpSealer>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Sends mail in the background.
    pub mailer: Mailer,
    /// The Prometheus counters (served on `--metrics-listen`).
    pub metrics: Arc<Metrics>,
}
