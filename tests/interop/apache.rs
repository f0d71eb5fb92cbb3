//! Apache httpd with `mod_auth_openidc` guards a folder with Gatehouse, run
//! from the configuration docs/oidc.md shows (its `httpd.conf` and page,
//! with this test's ports and application in place of the docs' ones).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use tempfile::TempDir;
use tokio::process::Command;

use crate::docs;
use crate::gatehouse::{Gatehouse, Registered};
use crate::person::Person;
use crate::process::{Service, free_port};

/// Where docs/oidc.md runs Apache from: /usr/sbin is not on a user's PATH on Debian.
const APACHE: &str = "/usr/sbin/apache2";

/// A running `apache2 -X` in a folder of its own.
struct Apache {
    /// `http://127.0.0.1:PORT`
    site: String,
    server: Service,
    _dir: TempDir,
}

impl Apache {
    /// The docs' site, in a new folder, listening on `port`.
    async fn start(gatehouse: &Gatehouse, registered: &Registered, port: u16) -> Apache {
        let dir = tempfile::tempdir().unwrap();
        // Started as root, Apache serves as www-data (the config's `User`),
        // which must be able to read the folder.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let folder = dir.path().to_str().unwrap();
        std::fs::create_dir_all(dir.path().join("htdocs/private")).unwrap();
        std::fs::write(dir.path().join("htdocs/private/index.shtml"), docs::heredoc("apache index.shtml")).unwrap();
        let passphrase = hex::encode(rand::random::<[u8; 32]>());
        let site = format!("127.0.0.1:{port}");
        let config = docs::substitute(
            &docs::heredoc("apache httpd.conf"),
            &[
                ("$PWD", folder),
                ("$CLIENT_ID", &registered.client_id),
                ("$CLIENT_SECRET", &registered.client_secret),
                ("$PASSPHRASE", &passphrase),
                ("127.0.0.1:8080", gatehouse.authority()),
                ("127.0.0.1:8081", &site),
            ],
        );
        assert!(!config.contains('$'), "a shell variable the test does not fill in:\n{config}");
        let config_file = dir.path().join("httpd.conf");
        std::fs::write(&config_file, config).unwrap();
        let mut server = Service::spawn("apache2", Command::new(APACHE).arg("-X").arg("-f").arg(&config_file));
        server.wait_for_port(port).await;
        Apache { site: format!("http://{site}"), server, _dir: dir }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.site)
    }
}

#[tokio::test]
async fn apache_with_mod_auth_openidc_shows_its_private_page_only_to_a_person_signed_in_through_gatehouse() {
    assert!(Path::new(APACHE).exists(), "Apache httpd is missing: scripts/test installs apache2");
    let gatehouse = Gatehouse::start().await;
    let ann = gatehouse.create_user("ann").await;
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/private/redirect_uri");
    let registered = gatehouse.create_app(&ann, "Apache site", &callback).await;
    let apache = Apache::start(&gatehouse, &registered, port).await;
    let log = || apache.server.output();

    // A stranger is sent to Gatehouse's sign-in page by the authorization
    // request the docs configure: PKCE, a nonce, the OIDC scopes.
    let stranger = Person::new();
    let sign_in = stranger.visit(&apache.url("/private/")).await;
    assert!(sign_in.is_sign_in(&gatehouse), "{}: {}\n{}", sign_in.url, sign_in.body, log());
    let request = sign_in.authorization_request(&gatehouse);
    let param = |name: &str| crate::helpers::query_value(&request, name).unwrap_or_default();
    assert_eq!(param("client_id"), registered.client_id);
    assert_eq!(param("redirect_uri"), callback);
    assert_eq!(param("scope"), "openid profile email");
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(!param("nonce").is_empty() && !param("state").is_empty(), "{request}");
    // A wrong password stays on the sign-in page.
    let refused = stranger.sign_in(&gatehouse, &sign_in, &ann.email, "not the password").await;
    assert!(refused.is_sign_in(&gatehouse), "{}: {}", refused.url, refused.body);
    // A made-up code with the stranger's own state: Gatehouse refuses to
    // redeem it, and Apache shows its error page (with status 200, as
    // mod_auth_openidc 2.4.12 does) instead of the private page.
    let forged =
        stranger.visit(&apache.url(&format!("/private/redirect_uri?code=gac_forged&state={}", param("state")))).await;
    assert!(forged.body.contains("OpenID Connect Provider error"), "{} {}: {}", forged.status, forged.url, forged.body);
    assert!(!forged.body.contains("Signed in as"), "{}", forged.body);
    let still_out = stranger.visit(&apache.url("/private/")).await;
    assert!(still_out.is_sign_in(&gatehouse), "{}: {}", still_out.url, still_out.body);

    let ann_browser = Person::new();
    let sign_in = ann_browser.visit(&apache.url("/private/")).await;
    let page = ann_browser.sign_in_and_authorize(&gatehouse, &sign_in, &ann).await;

    assert_eq!(page.url.as_str(), apache.url("/private/"), "{}\n{}", page.body, log());
    assert_eq!(page.status, 200, "{}\n{}", page.body, log());
    assert!(page.body.contains("Signed in as ann (ann@example.com)."), "{}\n{}", page.body, log());
    // Apache's session keeps her signed in: the page again, without Gatehouse.
    let again = ann_browser.visit(&apache.url("/private/")).await;
    assert_eq!(again.url.as_str(), apache.url("/private/"));
    assert!(again.body.contains("Signed in as ann (ann@example.com)."), "{}", again.body);
}
