//! Mail in the tests: a real SMTP server started for one test
//! (`tests/smtp/server.py`, aiosmtpd, as a child process on a free loopback
//! port), and the mails it received or that Gatehouse wrote as `.eml`
//! files, parsed as a mail program would (MIME, encodings), with their links.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

use crate::helpers::TestApp;

/// A running SMTP server of the test's own; stopped when dropped.
pub struct SmtpServer {
    pub port: u16,
    dir: TempDir,
    _child: Child,
}

/// The Python that has aiosmtpd: `GATEHOUSE_TEST_PYTHON`, else the virtual
/// environment `scripts/test` makes, else `python3`.
fn python() -> PathBuf {
    if let Ok(python) = std::env::var("GATEHOUSE_TEST_PYTHON") {
        return python.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/smtp-venv/bin/python");
    if venv.exists() { venv } else { "python3".into() }
}

impl SmtpServer {
    /// A server that accepts every mail.
    pub async fn start() -> SmtpServer {
        SmtpServer::start_with(&[]).await
    }

    /// A server with `server.py`'s options (`--login`, `--starttls`, …).
    pub async fn start_with(options: &[&str]) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
        let mut child = Command::new(python())
            .arg(&script)
            .arg(dir.path())
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).await.unwrap();
        let Ok(port) = first.trim().parse() else {
            let mut error = String::new();
            child.stderr.take().unwrap().read_to_string(&mut error).await.unwrap();
            panic!(
                "the test SMTP server did not start (scripts/test installs aiosmtpd into target/smtp-venv):\n{error}"
            );
        };
        SmtpServer { port, dir, _child: child }
    }

    /// `smtp://127.0.0.1:PORT`, for `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The certificate authority of `--starttls` and `--tls`, PEM.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Every mail received so far, in order.
    pub fn mails(&self) -> Vec<Mail> {
        read_mails(self.dir.path())
    }
}

/// A received mail, parsed.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The whole message as it arrived.
    pub raw: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The `text/plain` part, decoded.
    pub text: String,
    /// The `text/html` part, decoded.
    pub html: String,
    /// What the SMTP exchange said (`X-Envelope-To`, `X-Auth-Login` that
    /// the test server adds); empty for `.eml` files.
    pub envelope_to: String,
    pub auth_login: String,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Mail {
        let parsed = mailparse::parse_mail(raw).unwrap();
        let header = |name: &str| {
            use mailparse::MailHeaderMap as _;
            parsed.headers.get_first_value(name).unwrap_or_default()
        };
        let part = |mime: &str| {
            parsed
                .subparts
                .iter()
                .find(|p| p.ctype.mimetype == mime)
                .unwrap_or_else(|| panic!("no {mime} part"))
                .get_body()
                .unwrap()
        };
        assert_eq!(parsed.ctype.mimetype, "multipart/alternative", "plain text with an HTML alternative");
        Mail {
            raw: String::from_utf8_lossy(raw).into_owned(),
            from: header("From"),
            to: header("To"),
            subject: header("Subject"),
            text: part("text/plain"),
            html: part("text/html"),
            envelope_to: header("X-Envelope-To"),
            auth_login: header("X-Auth-Login"),
        }
    }

    /// The one link of the plain-text part (the HTML part holds the same).
    #[track_caller]
    pub fn link(&self) -> Url {
        let links: Vec<&str> =
            self.text.split_whitespace().filter(|word| word.starts_with("http") && word.contains("token=")).collect();
        assert_eq!(links.len(), 1, "one link in: {}", self.text);
        assert!(self.html.contains(&format!("href=\"{}\"", links[0])), "the HTML part links it too: {}", self.html);
        Url::parse(links[0]).unwrap()
    }

    /// The token of the link.
    pub fn token(&self) -> String {
        crate::helpers::query_value(&self.link(), "token").expect("a token in the link")
    }

    /// The link's path and query, on `app`.
    pub fn link_on(&self, app: &TestApp) -> String {
        let link = self.link();
        assert!(link.as_str().starts_with(&app.base), "built from the issuer: {link}");
        link[url::Position::BeforePath..].to_owned()
    }
}

/// The `.eml` files of `dir`, in the order they were written.
pub fn read_mails(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    paths.sort();
    paths.iter().map(|path| Mail::parse(&std::fs::read(path).unwrap())).collect()
}

impl TestApp {
    /// Waits until every mail handed to the mailer has been sent or given
    /// up (and every background job that writes one has finished).
    pub async fn mail_sent(&self) {
        self.state.mailer.idle().await;
    }

    /// Where this server writes `.eml` files (without SMTP).
    pub fn mail_dir(&self) -> PathBuf {
        self.state.settings.mail_dir()
    }

    /// The `.eml` files written so far, once the mailer is idle.
    pub async fn written_mails(&self) -> Vec<Mail> {
        self.mail_sent().await;
        read_mails(&self.mail_dir())
    }

    /// A server that sends its mail to `smtp`.
    pub async fn spawn_with_smtp(smtp: &SmtpServer) -> TestApp {
        let url = gatehouse::mail::SmtpUrl::parse(&smtp.url()).unwrap();
        TestApp::spawn_with(|settings| settings.mail.smtp_url = Some(url)).await
    }
}
