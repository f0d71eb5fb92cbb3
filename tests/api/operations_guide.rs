//! docs/operations.md, checked as an operator would use it: its alert rules
//! and scrape configuration pass Prometheus's own `promtool`, a real scrape
//! passes `promtool check metrics`, and every metric its rules and Grafana
//! dashboard name is one the server really serves.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::TestApp;
use crate::metrics::scrape;

/// The guide's text.
fn guide() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operations.md")).unwrap()
}

/// The first fenced block of `lang` after the heading `heading`.
fn block(guide: &str, heading: &str, lang: &str) -> String {
    let section = &guide[guide.find(heading).unwrap_or_else(|| panic!("no {heading:?}"))..];
    let fence = format!("```{lang}\n");
    let body =
        &section[section.find(&fence).unwrap_or_else(|| panic!("no {lang} block after {heading:?}")) + fence.len()..];
    body[..body.find("```").unwrap()].to_owned()
}

/// Runs `promtool ARGS…` and returns what it printed; fails the test when
/// promtool refuses.
fn promtool(args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write as _;
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs (scripts/test installs Debian's prometheus package)");
    child.stdin.take().unwrap().write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?} refused:\n{printed}");
    printed
}

/// `text` written to a file of `dir`.
fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The metric names (`gatehouse_…`, `process_…`) an expression text uses.
fn metric_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("gatehouse_") || word.starts_with("process_"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_guides_alert_rules_and_scrape_configuration_pass_promtool() {
    let guide = guide();
    let dir = tempfile::tempdir().unwrap();
    let rules = file(dir.path(), "rules.yml", &block(&guide, "### Alert rules", "yaml"));
    let scrape = file(dir.path(), "prometheus.yml", &block(&guide, "### Prometheus scrape configuration", "yaml"));
    let broken =
        file(dir.path(), "broken.yml", &block(&guide, "### Alert rules", "yaml").replacen("> 0.01", "> > 0.01", 1));

    let checked = promtool(&["check", "rules", rules.to_str().unwrap()], None);
    promtool(&["check", "config", scrape.to_str().unwrap()], None);
    let refused = Command::new("promtool").args(["check", "rules", broken.to_str().unwrap()]).output().unwrap();

    assert!(checked.contains("SUCCESS: 8 rules found"), "{checked}");
    assert!(!refused.status.success(), "promtool reads the expressions, so a broken one fails");
}

#[tokio::test]
async fn every_metric_the_guide_names_is_served_and_the_scrape_passes_promtool() {
    let app = TestApp::spawn_with(|settings| settings.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    // Traffic for every labelled family: a token, a token error, sign-in
    // failures up to the throttle.
    app.password_grant(&ann, &client, "user_info").await;
    app.token(&[("grant_type", "bogus"), ("client_id", client.id())]).await;
    for _ in 0..7 {
        app.sign_in_attempt(&app.browser(), &ann.email, "a wrong guess").await;
    }
    let guide = guide();
    let named = metric_names(&format!(
        "{}\n{}",
        block(&guide, "### Alert rules", "yaml"),
        block(&guide, "### Grafana dashboard", "json")
    ));

    let (text, _) = scrape(&app).await;
    promtool(&["check", "metrics"], Some(&text));
    let served = |name: &str| {
        text.lines().any(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
    };
    let missing: Vec<&String> = named.iter().filter(|name| !served(name)).collect();

    assert!(named.len() >= 8, "the guide names the families: {named:?}");
    assert!(missing.is_empty(), "named in docs/operations.md but not served: {missing:?}\n{text}");
    let dashboard: serde_json::Value = serde_json::from_str(&block(&guide, "### Grafana dashboard", "json")).unwrap();
    assert!(dashboard["panels"].as_array().is_some_and(|panels| !panels.is_empty()), "an importable dashboard");
}
