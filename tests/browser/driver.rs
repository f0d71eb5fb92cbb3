//! A real headless Chromium driven over WebDriver (chromedriver + fantoccini),
//! with helpers that find fields by their visible labels, and a screenshot
//! after every step into `target/screenshots/TEST/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

/// The flags that keep Chromium from reaching for the network it does not have.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

pub struct Browser {
    client: Client,
    shots: PathBuf,
    step: AtomicUsize,
    _driver: Child,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh Chromium profile for `test`.
    pub async fn start(test: &str) -> Browser {
        Browser::start_sized(test, 1200, 900).await
    }

    /// Like [`Browser::start`] with a window of `width` × `height` CSS pixels.
    pub async fn start_sized(test: &str, width: u32, height: u32) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver is installed (scripts/test installs it)");
        let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("started successfully") {
                break;
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let mut options = serde_json::json!({ "binary": "/usr/bin/chromium", "args": args });
        // Headless windows are at least 500 px wide; narrower means a phone.
        if width < 500 {
            options["mobileEmulation"] =
                serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0 } });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "chrome".into());
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots").join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Browser { client, shots, step: AtomicUsize::new(0), _driver: driver, _profile: profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn url(&self) -> Url {
        self.client.current_url().await.unwrap()
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
    }

    /// Types into the field whose `<label>` reads `label`.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Types into the field whose id is `id` (a label read aloud only).
    pub async fn fill_id(&self, id: &str, value: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// The field labelled `label` (its `<label for>` names it).
    pub async fn field(&self, label: &str) -> fantoccini::elements::Element {
        let xpath = format!("//label[normalize-space()='{label}']");
        let label_element =
            self.client.find(Locator::XPath(&xpath)).await.unwrap_or_else(|_| panic!("no label {label}"));
        let id = label_element.attr("for").await.unwrap().expect("label has a for attribute");
        self.client.find(Locator::Id(&id)).await.unwrap()
    }

    /// The value of the field labelled `label` (or with aria-label `label`).
    pub async fn value_of(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
    }

    /// Clicks the element `css` (a checkbox, say): no navigation expected.
    pub async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}")).click().await.unwrap();
    }

    /// Clicks the link or button `css` and waits for the next page.
    pub async fn follow(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}"));
        self.click_and_wait(element).await;
    }

    /// Clicks the button whose text is `text`, else the link with that text
    /// (the page's own buttons before the header's navigation links).
    pub async fn press(&self, text: &str) {
        let button = format!("//main//button[normalize-space()='{text}']");
        let link = format!("//main//a[normalize-space()='{text}']");
        let anywhere = format!("(//button|//a)[normalize-space()='{text}']");
        for xpath in [button, link, anywhere] {
            if let Ok(element) = self.client.find(Locator::XPath(&xpath)).await {
                self.click_and_wait(element).await;
                return;
            }
        }
        panic!("no button or link {text}");
    }

    /// Clicks and waits until the page it was on has been replaced and the
    /// new one has loaded (each check is one WebDriver round trip; bounded).
    async fn click_and_wait(&self, element: fantoccini::elements::Element) {
        let old_page = self.client.find(Locator::Css("html")).await.unwrap();
        element.click().await.unwrap();
        for _ in 0..2_000 {
            if old_page.tag_name().await.is_err() {
                break;
            }
        }
        for _ in 0..2_000 {
            if self.eval("return document.readyState").await == "complete" {
                break;
            }
        }
    }

    /// Saves a screenshot named `name` as the next numbered step.
    pub async fn shot(&self, name: &str) {
        let step = self.step.fetch_add(1, Ordering::SeqCst) + 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{step:02}-{name}.png")), png).unwrap();
    }

    /// Runs `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Deletes every cookie (signs the browser out).
    pub async fn forget_cookies(&self) {
        self.client.delete_all_cookies().await.unwrap();
    }

    /// Adds Chromium's WebAuthn virtual authenticator (a platform one with
    /// resident keys and user verification that always succeeds): the
    /// page's `navigator.credentials` talks to it. Its id.
    pub async fn add_virtual_authenticator(&self) -> String {
        let options = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        });
        let added = self.client.issue_cmd(WebAuthn { path: "authenticator".into(), body: Some(options) }).await;
        added.unwrap().as_str().unwrap().to_owned()
    }

    /// The credentials the virtual authenticator `id` holds.
    pub async fn authenticator_credentials(&self, id: &str) -> Vec<serde_json::Value> {
        let path = format!("authenticator/{id}/credentials");
        let listed = self.client.issue_cmd(WebAuthn { path, body: None }).await.unwrap();
        listed.as_array().unwrap().clone()
    }

    pub async fn close(self) {
        self.client.close().await.unwrap();
    }
}

/// A WebDriver WebAuthn extension command (W3C WebAuthn §11.4):
/// `POST` with a body, `GET` without, under `/session/{id}/webauthn/`.
#[derive(Debug)]
struct WebAuthn {
    path: String,
    body: Option<serde_json::Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthn {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/webauthn/{}", self.path))
    }

    fn method_and_body(&self, _: &Url) -> (axum::http::Method, Option<String>) {
        match &self.body {
            Some(body) => (axum::http::Method::POST, Some(body.to_string())),
            None => (axum::http::Method::GET, None),
        }
    }
}
