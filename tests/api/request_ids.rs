//! SPEC §8 "Request ids": every response carries `x-request-id` (a
//! well-formed incoming one is kept, anything else replaced), and the log
//! lines of that request name it, in both log formats. The real binary runs,
//! so the logging set up by `gatehouse serve` is the one tested.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use crate::helpers::USER_AGENT;

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// `gatehouse serve` in `format`, with a metrics listener; its base URL,
/// metrics URL, and the reader of the lines it prints after starting.
async fn serve(
    dir: &tempfile::TempDir,
    format: &str,
) -> (Child, String, String, tokio::io::Lines<impl AsyncBufReadExt>) {
    let db = format!("sqlite://{}", dir.path().join("ids.db").display());
    let mut server = tokio::process::Command::new(BIN)
        .args(["--database-url", &db, "--log-format", format, "serve", "--listen", "127.0.0.1:0"])
        .env("GATEHOUSE_METRICS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next_line().await.unwrap().expect("the server started");
        if line.contains("gatehouse is listening") {
            let port = field(&line, "port");
            let metrics = field(&line, "metrics_port");
            return (server, format!("http://127.0.0.1:{port}"), format!("http://127.0.0.1:{metrics}/metrics"), lines);
        }
    }
}

/// The number logged as `name` on a text or JSON line.
fn field(line: &str, name: &str) -> u16 {
    if line.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        return json["fields"][name].as_u64().unwrap().try_into().unwrap();
    }
    let start = line.find(&format!(" {name}=")).unwrap() + name.len() + 2;
    line[start..].split(' ').next().unwrap().parse().unwrap()
}

/// Reads lines until one names `id` and holds `text`; that line.
async fn line_naming(lines: &mut tokio::io::Lines<impl AsyncBufReadExt + Unpin>, id: &str, text: &str) -> String {
    loop {
        let line = lines.next_line().await.unwrap().expect("the line was logged");
        if line.contains(id) && line.contains(text) {
            return line;
        }
    }
}

#[tokio::test]
async fn ids_are_kept_made_and_logged_in_both_formats() {
    for format in ["text", "json"] {
        let dir = tempfile::tempdir().unwrap();
        let (_server, base, metrics, mut lines) = serve(&dir, format).await;
        let http = reqwest::Client::builder().user_agent(USER_AGENT).build().unwrap();

        let generated = http.get(format!("{base}/")).send().await.unwrap();
        let generated = generated.headers()["x-request-id"].to_str().unwrap().to_owned();
        let kept = http.get(format!("{base}/")).header("x-request-id", "abc-DEF_1.2").send().await.unwrap();
        let long = "a".repeat(65);
        let replaced_long = http.get(format!("{base}/")).header("x-request-id", &long).send().await.unwrap();
        let replaced_bad = http.get(format!("{base}/")).header("x-request-id", "no/slashes").send().await.unwrap();
        let refused = http
            .post(format!("{base}/oauth/token"))
            .header("x-request-id", format!("{format}-refused-1"))
            .form(&[("grant_type", "bogus"), ("client_id", "nobody")])
            .send()
            .await
            .unwrap();

        assert!(uuid::Uuid::parse_str(&generated).is_ok(), "a UUID is made: {generated}");
        assert_eq!(kept.headers()["x-request-id"], "abc-DEF_1.2");
        for response in [&replaced_long, &replaced_bad] {
            let id = response.headers()["x-request-id"].to_str().unwrap();
            assert!(uuid::Uuid::parse_str(id).is_ok() && id != generated, "{id}");
        }
        assert_eq!(refused.status(), 400);
        assert_eq!(refused.headers()["x-request-id"], format!("{format}-refused-1").as_str());
        // The handler's audit line and the access log line both name the id.
        let refused_id = format!("{format}-refused-1");
        let audit = line_naming(&mut lines, &refused_id, "token request refused").await;
        let access = line_naming(&mut lines, &refused_id, "finished processing request").await;
        for line in [&audit, &access] {
            if format == "json" {
                let json: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_eq!(json["span"]["request_id"], refused_id.as_str(), "{line}");
            } else {
                assert!(line.contains(&format!("request_id=\"{refused_id}\"")), "{line}");
            }
        }
        let scraped = http.get(&metrics).send().await.unwrap();
        assert_eq!(scraped.status(), 200, "GATEHOUSE_METRICS_LISTEN starts the metrics listener");
        assert!(scraped.text().await.unwrap().contains("gatehouse_http_requests_total{"));
    }
}
