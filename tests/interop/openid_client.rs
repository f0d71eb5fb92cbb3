//! A Node app signs people in through openid-client 6: the app of
//! docs/oidc.md, tests/interop/node/app.mjs, with the packages `npm ci`
//! installs from tests/interop/node/package-lock.json (scripts/test runs it).

use std::path::Path;

use tokio::process::Command;

use crate::docs;
use crate::relying_party::signs_in_with_a_verified_id_token_and_reads_userinfo;

#[tokio::test]
async fn openid_client_node_app_signs_in_with_a_verified_id_token_and_reads_userinfo() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/node");
    docs::assert_shows_file("openid-client app.mjs", "node/app.mjs");
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(here.join("package.json")).unwrap()).unwrap();
    let version = package["dependencies"]["openid-client"].as_str().unwrap();
    assert!(
        docs::block("openid-client install").contains(&format!("openid-client@{version}")),
        "the docs install another openid-client than {version}"
    );
    assert!(here.join("node_modules/openid-client").exists(), "openid-client is missing: scripts/test runs npm ci");
    let mut command = Command::new("node");
    command.arg(here.join("app.mjs"));

    signs_in_with_a_verified_id_token_and_reads_userinfo("Node app", command).await;
}
