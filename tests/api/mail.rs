//! SPEC §7 "Mail": without SMTP, mails are `.eml` files in `mail/` beside
//! the SQLite database; with `--smtp-url` they go to a real SMTP server
//! (plain, with credentials from the URL, STARTTLS, or TLS from the first
//! byte), off the request path, retried after a transient failure and not
//! after a refusal; a failure is logged without the link, and the SMTP
//! password never reaches a log.

use std::process::Stdio;
use std::time::Duration;

use gatehouse::mail::SmtpUrl;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::*;
use crate::mail_flows::*;
use crate::mailbox::{Mail, SmtpServer, read_mails};

#[tokio::test]
async fn without_smtp_mail_is_written_as_eml_files_beside_the_sqlite_database() {
    let database = TestDatabase::sqlite();
    let database_dir = database.dir.as_ref().unwrap().path().to_owned();
    let app = TestApp::spawn_on(database, |_| {}).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;

    let mails = app.written_mails().await;
    let verified = follow(&app, &browser, &mails[0], &[]).await;

    assert_eq!(app.mail_dir(), database_dir.join("mail"));
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].to.as_str(), mails[0].subject.as_str()), ("ann@example.com", "Verify your email address"));
    assert!(mails[0].raw.contains(mails[0].link().as_str()), "the file shows the link whole, for `cat`");
    assert_eq!(verified.status(), 200);
    assert!(addresses(&app, &ann).await[0].verified);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let file = std::fs::read_dir(app.mail_dir()).unwrap().next().unwrap().unwrap().path();
        assert_eq!((mode(&app.mail_dir()), mode(&file)), (0o700, 0o600), "a mail holds a live link: owner only");
    }
}

#[tokio::test]
async fn smtp_mail_is_multipart_from_the_configured_sender_with_the_urls_credentials() {
    let smtp = SmtpServer::start_with(&["--login", "mailer@example.com", "--password", "p@ss word:1"]).await;
    let url = format!("smtp://mailer%40example.com:p%40ss%20word%3A1@127.0.0.1:{}", smtp.port);
    let app = TestApp::spawn_with(|settings| {
        settings.mail.smtp_url = Some(SmtpUrl::parse(&url).unwrap());
        settings.mail.from = Some("Accounts <accounts@example.org>".into());
    })
    .await;

    sign_up(&app, &app.browser(), "mei", "zh-CN").await;
    app.mail_sent().await;

    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].auth_login, "mailer@example.com", "SMTP AUTH with the URL's user");
    assert_eq!(mails[0].from, "Accounts <accounts@example.org>");
    assert_eq!(mails[0].subject, "验证你的邮箱地址", "in the language of the sign-up page");
    assert!(mails[0].html.contains("lang=\"zh-CN\"") && mails[0].text.contains("mei，你好："));
    assert!(mails[0].raw.contains("Message-ID: <") && mails[0].raw.contains("@example.org>"));
    assert!(read_mails(&app.mail_dir()).is_empty(), "no file when SMTP is set");
    assert!(!format!("{:?}", app.state.settings).contains("p@ss"), "the password is redacted");
}

#[tokio::test]
async fn starttls_and_tls_deliver_to_a_server_the_ca_file_vouches_for() {
    for (option, url) in [("--starttls", "smtp://127.0.0.1:{port}?tls=starttls"), ("--tls", "smtps://127.0.0.1:{port}")]
    {
        let smtp = SmtpServer::start_with(&[option]).await;
        let url = SmtpUrl::parse(&url.replace("{port}", &smtp.port.to_string())).unwrap();
        let ca = smtp.ca_file();
        let app = TestApp::spawn_with(|settings| {
            settings.mail.smtp_url = Some(url);
            settings.mail.smtp_ca_file = Some(ca);
        })
        .await;

        sign_up(&app, &app.browser(), "ann", "en").await;
        app.mail_sent().await;

        assert_eq!(smtp.mails().len(), 1, "{option}");
    }
}

#[tokio::test]
async fn a_transient_failure_is_retried_after_a_pause_and_a_refusal_is_given_up() {
    let deferring = SmtpServer::start_with(&["--defer", "1"]).await;
    let refusing = SmtpServer::start_with(&["--reject"]).await;
    let retried = TestApp::spawn_with_smtp(&deferring).await;
    let refused = TestApp::spawn_with_smtp(&refusing).await;

    let started = std::time::Instant::now();
    sign_up(&retried, &retried.browser(), "ann", "en").await;
    retried.mail_sent().await;
    let waited = started.elapsed();
    sign_up(&refused, &refused.browser(), "bob", "en").await;
    let given_up = tokio::time::timeout(Duration::from_secs(20), refused.mail_sent()).await;

    assert_eq!(deferring.mails().len(), 1, "delivered at the second attempt");
    assert!(waited >= Duration::from_secs(1), "after the first pause: {waited:?}");
    assert!(given_up.is_ok(), "a permanent refusal is not retried for minutes");
    assert!(refusing.mails().is_empty());
}

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// The whole binary at the most verbose level, with a relay that defers
/// the first mail: the retry is logged, and nothing in the logs holds a
/// link, a token or the relay's password.
#[tokio::test]
async fn a_failed_send_is_logged_without_the_link_and_the_smtp_password_never() {
    let smtp = SmtpServer::start_with(&["--defer", "1", "--login", "mailer", "--password", "relay-secret-42"]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("logs.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let smtp_url = format!("smtp://mailer:relay-secret-42@127.0.0.1:{}", smtp.port);
    let mut server = tokio::process::Command::new(BIN)
        .args(["--database-url", &db, "serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("GATEHOUSE_SMTP_URL", &smtp_url)
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut logs = String::new();
    read_until(&mut lines, &mut logs, "gatehouse is listening", 1).await;
    let base = format!("http://127.0.0.1:{port}");
    let browser = app_less_browser();

    let page = browser.get(format!("{base}/signup")).send().await.unwrap().text().await.unwrap();
    let form = [("email", "ann@example.com"), ("username", "ann"), ("password", PASSWORD)];
    let csrf = hidden_value(&page, "csrf_token");
    let mut fields = form.to_vec();
    fields.push(("csrf_token", &csrf));
    assert_eq!(browser.post(format!("{base}/signup")).form(&fields).send().await.unwrap().status(), 303);
    let page = browser.get(format!("{base}/password_reset")).send().await.unwrap().text().await.unwrap();
    let reset_form = [("email", "ann@example.com"), ("csrf_token", &form_csrf(&page))];
    assert_eq!(browser.post(format!("{base}/password_reset")).form(&reset_form).send().await.unwrap().status(), 200);
    read_until(&mut lines, &mut logs, "mail sent", 2).await;
    drop(server);

    let mails: Vec<Mail> = smtp.mails();
    assert_eq!(mails.len(), 2);
    assert!(logs.contains("could not send a mail; will retry"), "the failure is logged:\n{logs}");
    assert!(logs.contains("smtp://mailer:REDACTED@127.0.0.1"), "where mail goes, redacted");
    let mut secrets = vec!["relay-secret-42".to_owned(), "token=".to_owned(), "gev_".to_owned(), "gpr_".to_owned()];
    secrets.extend(mails.iter().map(|m| m.link().to_string()));
    for secret in secrets {
        assert!(!logs.contains(&secret), "{secret} in the logs:\n{logs}");
    }
}

/// Reads log lines into `logs` until `marker` has shown `times` times.
async fn read_until(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    logs: &mut String,
    marker: &str,
    times: usize,
) {
    while logs.matches(marker).count() < times {
        let line = lines.next_line().await.unwrap().expect("the server is running");
        logs.push_str(&line);
        logs.push('\n');
    }
}

/// A cookie-keeping client for a server that is not a `TestApp`.
fn app_less_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .unwrap()
}
