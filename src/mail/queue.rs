//! Sending off the request path: a request hands its mail to a bounded
//! in-memory queue and goes on; a worker delivers each mail in a task of its
//! own (a few at a time), retrying transient failures with growing delays
//! and giving up after a bounded number of attempts. A failure is logged
//! with the mail's kind and recipient, never its body: the body holds a
//! live link.
//!
//! Everything accepted and not yet finished is counted, so a test (or a
//! shutdown) can wait until every mail has gone out or been given up.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Message;
use tokio::sync::{Semaphore, mpsc, watch};

use super::transport::Transport;

/// Mails waiting beyond this are refused (and logged) instead of growing
/// memory without bound while the server is down.
pub(super) const QUEUE_LENGTH: usize = 1024;

/// Deliveries in progress at once: enough for bursts of sign-ups, few
/// enough not to flood a small relay.
const PARALLEL_DELIVERIES: usize = 4;

/// The waits before the second, third, … attempt: a relay restarting is
/// back within seconds, one that is down longer gets a quarter of an hour
/// in all, then the mail is given up (the user can ask again).
const RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
];

/// A mail on its way: the message, what it is (for logs) and its place in
/// the count of unfinished work.
pub(super) struct Queued {
    pub(super) message: Message,
    pub(super) kind: &'static str,
    pub(super) to: String,
    pub(super) _pending: Pending,
}

/// One unit of unfinished mail work; the count goes down when it is dropped,
/// however its task ends.
pub(super) struct Pending(Arc<watch::Sender<usize>>);

impl Pending {
    /// Counts one more unit of work on `count`.
    pub(super) fn new(count: &Arc<watch::Sender<usize>>) -> Pending {
        count.send_modify(|n| *n += 1);
        Pending(Arc::clone(count))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Starts the worker that delivers what arrives on the returned sender.
pub(super) fn spawn(transport: Transport) -> mpsc::Sender<Queued> {
    let (sender, mut receiver) = mpsc::channel::<Queued>(QUEUE_LENGTH);
    let transport = Arc::new(transport);
    let slots = Arc::new(Semaphore::new(PARALLEL_DELIVERIES));
    tokio::spawn(async move {
        while let Some(mail) = receiver.recv().await {
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { break };
            let transport = Arc::clone(&transport);
            tokio::spawn(async move {
                deliver_with_retries(&transport, &mail).await;
                drop(slot);
            });
        }
    });
    sender
}

/// Delivers `mail`, retrying transient failures after each of
/// [`RETRY_DELAYS`]; logs the outcome without the body.
async fn deliver_with_retries(transport: &Transport, mail: &Queued) {
    let (kind, to) = (mail.kind, mail.to.as_str());
    let mut delays = RETRY_DELAYS.iter();
    for attempt in 1.. {
        let error = match transport.deliver(&mail.message).await {
            Ok(()) => {
                tracing::info!(kind, to, attempt, "mail sent");
                return;
            }
            Err(error) => error,
        };
        let delay = if error.is_permanent() { None } else { delays.next() };
        let Some(delay) = delay else {
            tracing::error!(kind, to, attempt, %error, "could not send a mail; giving up");
            return;
        };
        tracing::warn!(kind, to, attempt, %error, retry_in_secs = delay.as_secs(), "could not send a mail; will retry");
        tokio::time::sleep(*delay).await;
    }
}
