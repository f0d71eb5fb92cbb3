//! README.md's device grant example, run as written: its blocks read out of
//! the page and run by `bash` in a fresh folder against the real binary,
//! with only the binary's path, the database and the port put in. A person
//! answers on the `/device` pages: first **Deny**, then **Authorize**; the
//! loops must print what the README says they print.

use tokio::process::Command;

use crate::docs;
use crate::gatehouse::Gatehouse;
use crate::helpers::{USER_AGENT, hidden_value};
use crate::person::{Page, Person};
use crate::process::Service;

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// The README's person, as its first block creates her.
const EMAIL: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn the_readme_device_example_prints_the_code_then_the_answer() {
    let gatehouse = Gatehouse::start().await;
    let folder = tempfile::tempdir().unwrap();
    // The setup, the public client, then the loop twice: one code to deny,
    // one to authorize.
    let loop_block = docs::block_of("README.md", "readme device loop");
    let script = [
        docs::block_of("README.md", "readme setup"),
        docs::block_of("README.md", "readme device app"),
        loop_block.clone(),
        loop_block,
    ]
    .join("\n");
    let binary = format!("'{BIN}' --database-url '{}'", gatehouse.database_url());
    let script = docs::substitute(
        &script,
        &[("./target/release/gatehouse", &binary), ("http://127.0.0.1:8080", &gatehouse.issuer)],
    );
    let mut shell =
        Service::spawn("the README's device example", Command::new("bash").arg("-c").arg(script).current_dir(&folder));
    let person = Person::new();

    // The first code, typed by hand in lower case without the dash.
    let shown = shell.wait_for_lines(1, |line| line.starts_with("Open ")).await.swap_remove(0);
    let (page_url, code) = shown_code(&shown);
    assert_eq!(page_url, format!("{}/device", gatehouse.issuer), "{shown}");
    let sign_in = person.visit(&page_url).await;
    let entry = person.sign_in(&gatehouse, &sign_in, EMAIL, PASSWORD).await;
    let typed = code.replace('-', "").to_lowercase();
    let consent = continue_with(&person, &gatehouse, &entry, &typed).await;
    answer(&person, &gatehouse, &consent, "deny").await;
    let denied = shell.wait_for_line(poll_answer).await;
    let denied: serde_json::Value = serde_json::from_str(&denied).unwrap();
    assert_eq!(denied["error"], "access_denied", "{denied}");

    // The second code, from verification_uri_complete, which fills the field.
    let complete = shell.wait_for_lines(2, |line| line.starts_with("(or open ")).await.swap_remove(1);
    let complete = complete.trim_start_matches("(or open ").trim_end_matches(')');
    let entry = person.visit(complete).await;
    let filled = filled_code(&entry.body);
    let consent = continue_with(&person, &gatehouse, &entry, &filled).await;
    assert!(consent.body.contains("My CLI"), "the consent page names the application:\n{}", consent.body);
    answer(&person, &gatehouse, &consent, "authorize").await;
    let tokens = shell.wait_for_lines(2, poll_answer).await.swap_remove(1);
    let tokens: serde_json::Value = serde_json::from_str(&tokens).unwrap();
    assert_eq!(tokens["token_type"], "bearer", "{tokens}");
    assert_eq!(tokens["scope"], "user_info projects", "{tokens}");
    assert!(tokens["refresh_token"].as_str().is_some_and(|t| t.starts_with("grt_")), "{tokens}");

    // The token opens the Open API as ann.
    let user: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v5/user", gatehouse.issuer))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .header("user-agent", USER_AGENT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["login"], "ann", "{user}");
}

/// Whether `line` is what a loop prints when it ends: the token endpoint's
/// answer (the setup's `tee app.json` prints JSON too).
fn poll_answer(line: &str) -> bool {
    line.starts_with('{') && (line.contains(r#""error""#) || line.contains(r#""access_token""#))
}

/// The page and the code of "Open URL and enter the code CODE".
fn shown_code(line: &str) -> (String, String) {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(line.contains(" and enter the code "), "not the README's prompt: {line}");
    (words[1].to_owned(), words[words.len() - 1].to_owned())
}

/// The code field's filled-in value on the device page.
fn filled_code(body: &str) -> String {
    let field = &body[body.find(r#"name="user_code""#).expect("the device page has its Code field")..];
    let value = &field[field.find(r#"value=""#).unwrap() + 7..];
    value[..value.find('"').unwrap()].to_owned()
}

/// Types `typed` on the device page `entry` and presses **Continue**: the consent page.
async fn continue_with(person: &Person, gatehouse: &Gatehouse, entry: &Page, typed: &str) -> Page {
    assert!(entry.url.path() == "/device" && entry.body.contains("Continue"), "not the device page: {}", entry.url);
    let form = [("user_code", typed.to_owned()), ("csrf_token", hidden_value(&entry.body, "csrf_token"))];
    let consent = person.submit(&format!("{}/device", gatehouse.issuer), &form).await;
    assert_eq!(consent.status, 200, "the consent page:\n{}", consent.body);
    assert!(consent.body.contains("Authorize") && consent.body.contains("Deny"), "{}", consent.body);
    consent
}

/// Presses **Authorize** or **Deny** on the device consent page: the page
/// that sends the person back to the device.
async fn answer(person: &Person, gatehouse: &Gatehouse, consent: &Page, decision: &str) {
    let form = [
        ("user_code", hidden_value(&consent.body, "user_code")),
        ("csrf_token", hidden_value(&consent.body, "csrf_token")),
        ("decision", decision.to_owned()),
    ];
    let done = person.submit(&format!("{}/device/consent", gatehouse.issuer), &form).await;
    let answered = if decision == "authorize" { "authorized" } else { "denied" };
    assert_eq!(done.status, 200);
    assert_eq!(done.url.as_str(), format!("{}/device/done?answer={answered}", gatehouse.issuer));
}
