//! Mail (SPEC §7 "Mail"): the verification and password-reset links go out
//! by SMTP (`--smtp-url`, with STARTTLS or TLS) or, without an SMTP server,
//! as `.eml` files in `--mail-dir`. Sending happens off the request path
//! (`queue.rs`): a request hands over a finished mail, or a job that makes
//! one, and answers at once. Only this module imports lettre; what a mail
//! says is written by `web/mails.rs`, in the reader's language.

mod queue;
mod smtp_url;
mod transport;

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, Message, MultiPart, SinglePart};
use tokio::sync::{mpsc, watch};

use crate::clock::UnixTime;
pub use smtp_url::{SmtpUrl, SmtpUrlError, TlsMode};
use transport::{Transport, TransportError};

/// The mail settings as configured; `config.rs` resolves the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailSettings {
    /// The SMTP server; `None`: write `.eml` files into `dir`.
    pub smtp_url: Option<SmtpUrl>,
    /// Extra trusted roots for the SMTP server's certificate (PEM), beside
    /// the system's: for a relay with a private CA.
    pub smtp_ca_file: Option<PathBuf>,
    /// The `From` of every mail; `None`: `Gatehouse <noreply@ISSUER-HOST>`.
    pub from: Option<String>,
    /// Where `.eml` files go without SMTP; `None`: `mail/` beside the
    /// SQLite database (`./mail` for PostgreSQL).
    pub dir: Option<PathBuf>,
}

/// A mail ready to go: what it says in both forms, to whom. `Debug` leaves
/// out the subject and bodies, which hold a live link.
#[derive(Clone)]
pub struct OutgoingMail {
    /// What it is, for the logs: `email_verification`, `password_reset`.
    pub kind: &'static str,
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML alternative.
    pub html: String,
    /// When it was written (the `Date` header).
    pub date: UnixTime,
}

impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail").field("kind", &self.kind).field("to", &self.to).finish_non_exhaustive()
    }
}

/// Why a mail could not be accepted, or the mailer not started.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient is not an address a mail can be sent to.
    #[error("the recipient is not a deliverable address")]
    BadRecipient,
    /// `--mail-from` is not a mailbox (`Name <user@host>` or `user@host`).
    #[error("mail_from must be an address such as \"Gatehouse <noreply@example.com>\"")]
    BadFrom,
    /// The message could not be put together.
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
    /// Too many mails are waiting already.
    #[error("the mail queue is full")]
    QueueFull,
    /// `--smtp-ca-file` could not be read or is not PEM.
    #[error("smtp_ca_file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The SMTP transport could not be set up.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// Whether `address` is one a mail can be sent to (stricter than the
/// account rules: no quotes, spaces or brackets in it).
pub fn is_deliverable(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

/// Checks a `--mail-from` value.
pub fn check_from(from: &str) -> Result<(), MailError> {
    from.parse::<Mailbox>().map(drop).map_err(|_| MailError::BadFrom)
}

/// The handle requests give their mail to; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    queue: mpsc::Sender<queue::Queued>,
    pending: Arc<watch::Sender<usize>>,
    from: Mailbox,
    /// Where it sends, for the start-up log line (no password).
    destination: String,
    /// Whether mail is read as files (`.eml`): then the plain-text part is
    /// kept as it is (8bit), so `cat` shows the link whole, instead of
    /// quoted-printable with `=3D` and broken lines.
    readable_text: bool,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer").field("destination", &self.destination).finish_non_exhaustive()
    }
}

impl Mailer {
    /// Starts the sending worker: to the SMTP server of `settings`, else to
    /// files in `dir`, every mail from `from`. Needs a Tokio runtime.
    pub fn start(settings: &MailSettings, dir: &Path, from: &str) -> Result<Mailer, MailError> {
        let from: Mailbox = from.parse().map_err(|_| MailError::BadFrom)?;
        let (transport, destination) = match &settings.smtp_url {
            Some(url) => {
                let root = settings.smtp_ca_file.as_deref().map(read_ca).transpose()?;
                (Transport::smtp(url, root.as_ref())?, url.to_string())
            }
            None => (Transport::Dir(dir.to_owned()), format!("files in {}", dir.display())),
        };
        let (pending, _) = watch::channel(0);
        let readable_text = settings.smtp_url.is_none();
        Ok(Mailer { queue: queue::spawn(transport), pending: Arc::new(pending), from, destination, readable_text })
    }

    /// Where mail goes, for the start-up log line (no password).
    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// Hands `mail` to the queue and returns at once; it is sent (or given
    /// up, and logged) in the background.
    pub fn send(&self, mail: OutgoingMail) -> Result<(), MailError> {
        let message = self.build(&mail)?;
        let queued =
            queue::Queued { message, kind: mail.kind, to: mail.to, _pending: queue::Pending::new(&self.pending) };
        self.queue.try_send(queued).map_err(|_| MailError::QueueFull)
    }

    /// Runs `job` in the background and sends the mail it makes, if any:
    /// for work that must not delay the answer, or show in its timing
    /// (whether a password-reset address exists).
    pub fn prepare(&self, job: impl Future<Output = Option<OutgoingMail>> + Send + 'static) {
        let pending = queue::Pending::new(&self.pending);
        let mailer = self.clone();
        tokio::spawn(async move {
            if let Some(mail) = job.await {
                let (kind, to) = (mail.kind, mail.to.clone());
                if let Err(error) = mailer.send(mail) {
                    tracing::error!(kind, to, %error, "could not queue a mail");
                }
            }
            drop(pending);
        });
    }

    /// Waits until every mail handed over so far has been sent or given
    /// up, and every job has finished: for tests, and for a shutdown.
    pub async fn idle(&self) {
        let mut count = self.pending.subscribe();
        let _ = count.wait_for(|pending| *pending == 0).await;
    }

    /// Waits for [`Mailer::idle`] at most `limit`.
    pub async fn drain(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.idle()).await.is_ok()
    }

    fn build(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let to: Mailbox = mail.to.parse().map_err(|_| MailError::BadRecipient)?;
        let date = UNIX_EPOCH + Duration::from_secs(u64::try_from(mail.date).unwrap_or_default());
        let domain = self.from.email.domain();
        let message_id = format!("<{}@{domain}>", uuid::Uuid::now_v7().simple());
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .date(date)
            .message_id(Some(message_id))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(self.text_body(&mail.text)))
                    .singlepart(SinglePart::html(mail.html.clone())),
            )?;
        Ok(message)
    }

    /// The plain-text part: as it is in files, where a person reads it
    /// (lettre would pick quoted-printable for any line of 76 bytes or
    /// more, and the link is longer), else in the encoding any relay
    /// takes (a relay without 8BITMIME refuses raw UTF-8).
    fn text_body(&self, text: &str) -> Body {
        // 8bit allows any UTF-8 but NUL and bare CR, in lines of at most
        // 998 bytes (RFC 2045 §2.8); the templates write nothing else.
        let fits_8bit = text.lines().all(|line| line.len() <= 998) && !text.contains(['\0', '\r']);
        if self.readable_text && fits_8bit {
            let crlf: String = text.lines().flat_map(|line| [line, "\r\n"]).collect();
            return Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit);
        }
        Body::new(text.to_owned())
    }
}

/// Reads the PEM certificate of `--smtp-ca-file`.
fn read_ca(path: &Path) -> Result<lettre::transport::smtp::client::Certificate, MailError> {
    let failed = |reason: String| MailError::CaFile { path: path.to_owned(), reason };
    let pem = std::fs::read(path).map_err(|error| failed(error.to_string()))?;
    lettre::transport::smtp::client::Certificate::from_pem(&pem).map_err(|error| failed(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str =
        "https://id.example.com/email_verification?token=gev_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

    fn mail(to: &str) -> OutgoingMail {
        OutgoingMail {
            kind: "email_verification",
            to: to.into(),
            subject: "验证你的邮箱地址".into(),
            text: format!("你好：\n\n{LINK}\n"),
            html: format!("<p><a href=\"{LINK}\">验证</a></p>"),
            date: 1_795_000_000,
        }
    }

    fn mailer(smtp: bool, dir: &Path) -> Mailer {
        let smtp_url = smtp.then(|| SmtpUrl::parse("smtp://127.0.0.1:9").unwrap());
        Mailer::start(&MailSettings { smtp_url, ..MailSettings::default() }, dir, "Gatehouse <noreply@example.com>")
            .unwrap()
    }

    #[tokio::test]
    async fn files_keep_the_text_readable_and_smtp_gets_an_encoding_every_relay_takes() {
        let dir = tempfile::tempdir().unwrap();

        let file = String::from_utf8(mailer(false, dir.path()).build(&mail("ann@example.com")).unwrap().formatted());
        let sent = mailer(true, dir.path()).build(&mail("ann@example.com")).unwrap().formatted();

        let file = file.unwrap();
        assert!(file.contains(&format!("{LINK}\r\n")), "the link whole, in a line of its own: {file}");
        assert!(file.contains("Content-Transfer-Encoding: 8bit") && file.contains("你好："));
        assert!(file.contains("Content-Type: text/html"), "with an HTML alternative");
        assert!(sent.is_ascii(), "7-bit safe for any relay");
        assert!(file.contains("Date: Wed, 18 Nov 2026 11:06:40"), "dated by the clock it was given: {file}");
    }

    #[tokio::test]
    async fn only_deliverable_addresses_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = mailer(false, dir.path());

        assert!(matches!(mailer.send(mail("not an address")), Err(MailError::BadRecipient)));
        assert!(is_deliverable("ann.lee+tag@example.com"));
        for bad in ["a\"b@example.com", "<x>@example.com", "ann@", "a b@example.com"] {
            assert!(!is_deliverable(bad), "{bad}");
        }
        assert!(check_from("Gatehouse <noreply@example.com>").is_ok());
        assert!(check_from("noreply").is_err());
        mailer.idle().await;
    }

    #[test]
    fn a_mails_debug_leaves_out_what_it_says() {
        let shown = format!("{:?}", mail("ann@example.com"));
        assert!(!shown.contains("gev_") && !shown.contains("验证"), "{shown}");
        assert!(shown.contains("email_verification") && shown.contains("ann@example.com"));
    }
}
