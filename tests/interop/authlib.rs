//! A Python (Flask) app signs people in through Authlib: the app of
//! docs/oidc.md, tests/interop/python/app.py, in the virtual environment
//! scripts/test makes from tests/interop/python/requirements.txt.

use std::path::Path;

use tokio::process::Command;

use crate::docs;
use crate::relying_party::signs_in_with_a_verified_id_token_and_reads_userinfo;

/// The dependencies the docs install are the ones the test runs with.
#[track_caller]
fn assert_docs_install_the_pinned_versions(requirements: &str) {
    let install = docs::block("authlib install");
    let pins: Vec<&str> = install.split_whitespace().filter(|word| word.contains("==")).collect();
    assert!(!pins.is_empty(), "the docs pin no package:\n{install}");
    for pin in pins {
        assert!(requirements.lines().any(|line| line == pin), "{pin} is not in requirements.txt");
    }
}

#[tokio::test]
async fn authlib_flask_app_signs_in_with_a_verified_id_token_and_reads_userinfo() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    docs::assert_shows_file("authlib app.py", "python/app.py");
    assert_docs_install_the_pinned_versions(
        &std::fs::read_to_string(here.join("tests/interop/python/requirements.txt")).unwrap(),
    );
    let python = here.join("target/interop/venv/bin/python");
    assert!(python.exists(), "{} is missing: scripts/test makes it", python.display());
    let mut command = Command::new(python);
    command.arg(here.join("tests/interop/python/app.py"));

    signs_in_with_a_verified_id_token_and_reads_userinfo("Flask app", command).await;
}
