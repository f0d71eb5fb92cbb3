//! Where a built message goes: an SMTP server (`--smtp-url`), or, without
//! one, an `.eml` file in `--mail-dir` (SPEC §7 "Mail"), so that a fresh
//! `gatehouse serve` needs nothing else and the newcomer reads the link from
//! the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Message;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};

use super::smtp_url::{SmtpUrl, TlsMode};

/// How long one SMTP command may take before the attempt fails (and is
/// retried later): a relay that hangs must not hold a sending slot for
/// lettre's default minute.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// A configured destination for mail.
#[derive(Debug, Clone)]
pub(super) enum Transport {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// A directory of `.eml` files.
    Dir(PathBuf),
}

/// Why one delivery attempt failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum DeliveryError {
    /// The SMTP exchange failed (connection, TLS, authentication, a refusal).
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The `.eml` file could not be written.
    #[error("writing the mail file: {0}")]
    Io(#[from] std::io::Error),
}

impl DeliveryError {
    /// Whether trying again cannot help: the server refused the message
    /// for good (a 5xx reply: unknown recipient, bad credentials, …).
    pub(super) fn is_permanent(&self) -> bool {
        matches!(self, DeliveryError::Smtp(error) if error.is_permanent())
    }
}

/// Why the transport could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up TLS for the SMTP server: {0}")]
pub struct TransportError(#[from] lettre::transport::smtp::Error);

impl Transport {
    /// The SMTP server `url` names, with TLS as it asks and the system's
    /// trusted roots plus `extra_root` (a private CA, PEM) when given.
    pub(super) fn smtp(
        url: &SmtpUrl,
        extra_root: Option<&lettre::transport::smtp::client::Certificate>,
    ) -> Result<Transport, TransportError> {
        let tls = |host: &str| -> Result<TlsParameters, TransportError> {
            let builder = TlsParameters::builder(host.to_owned());
            let builder = match extra_root {
                Some(root) => builder.add_root_certificate(root.clone()),
                None => builder,
            };
            Ok(builder.build_rustls()?)
        };
        let tls = match url.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls(&url.host)?),
            TlsMode::Implicit => Tls::Wrapper(tls(&url.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
            .port(url.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(user) = &url.username {
            builder =
                builder.credentials(Credentials::new(user.clone(), url.password().unwrap_or_default().to_owned()));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    /// Sends `message`, or writes it as a file.
    pub(super) async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message.clone()).await?;
            }
            Transport::Dir(dir) => write_eml(dir, &message.formatted()).await?,
        }
        Ok(())
    }
}

/// Writes `bytes` as a new `.eml` file in `dir` (created if missing). The
/// folder and file are readable by their owner only: a mail holds a live
/// link. The file appears whole: it is written under a temporary name and
/// renamed, so a reader never sees half a mail. Names sort by time.
async fn write_eml(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut folder = tokio::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    folder.mode(0o700);
    folder.create(dir).await?;
    let name = uuid::Uuid::now_v7().simple().to_string();
    let partial = dir.join(format!(".{name}.eml.tmp"));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&partial).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(&partial, dir.join(format!("{name}.eml"))).await
}
