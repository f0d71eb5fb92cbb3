//! Settings: defaults, then an optional TOML file, then `GATEHOUSE_*`
//! environment variables, then flags (each overrides the one before).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::accounts::Argon2Settings;
use crate::keys::KeyEncryptionKey;
use crate::mail::{self, MailSettings, SmtpUrl};
use crate::oauth::Policy;
use crate::store::PoolSettings;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting as a flag with its environment variable. `--help` lists them.
#[expect(clippy::doc_markdown, reason = "these doc comments are clap's --help text, not markdown")]
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsArgs {
    /// TOML configuration file (see config/gatehouse.example.toml).
    #[arg(long, env = "GATEHOUSE_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB [default: sqlite://gatehouse.db].
    #[arg(long, env = "GATEHOUSE_DATABASE_URL", global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Do not apply migrations at start (run `gatehouse migrate` once per release instead).
    #[arg(long, env = "GATEHOUSE_NO_MIGRATE", global = true)]
    pub no_migrate: bool,
    /// PostgreSQL: most pooled connections per instance [default: 10].
    #[arg(long, env = "GATEHOUSE_DATABASE_MAX_CONNECTIONS", global = true, value_name = "N")]
    pub database_max_connections: Option<u32>,
    /// PostgreSQL: statement timeout in milliseconds [default: 5000].
    #[arg(long, env = "GATEHOUSE_DATABASE_STATEMENT_TIMEOUT_MS", global = true, value_name = "MS")]
    pub database_statement_timeout_ms: Option<u64>,
    /// PostgreSQL: longest wait for a pooled connection in milliseconds [default: 5000].
    #[arg(long, env = "GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS", global = true, value_name = "MS")]
    pub database_acquire_timeout_ms: Option<u64>,
    /// PostgreSQL: send the statement timeout as a startup option; false behind PgBouncer [default: true].
    #[arg(long, env = "GATEHOUSE_DATABASE_SESSION_OPTIONS", global = true, value_name = "BOOL")]
    pub database_session_options: Option<bool>,
    /// Seconds between purges of expired codes, tokens and sessions; 0 turns purging off [default: 300].
    #[arg(long, env = "GATEHOUSE_PURGE_INTERVAL_SECS", global = true, value_name = "SECS")]
    pub purge_interval_secs: Option<u64>,
    /// Days the security log keeps an account's events [default: 90].
    #[arg(long, env = "GATEHOUSE_SECURITY_LOG_DAYS", global = true, value_name = "DAYS")]
    pub security_log_days: Option<u32>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "GATEHOUSE_LISTEN", global = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Address of a second listener that serves only GET /metrics (Prometheus text format); keep it private [default: none, no metrics listener].
    #[arg(long, env = "GATEHOUSE_METRICS_LISTEN", global = true, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Public base URL, as clients reach it [default: http://LISTEN].
    #[arg(long, env = "GATEHOUSE_ISSUER", global = true, value_name = "URL")]
    pub issuer: Option<url::Url>,
    /// Answer token requests without a User-Agent with 403, as the platform does [default: true].
    #[arg(long, env = "GATEHOUSE_REQUIRE_USER_AGENT", global = true, value_name = "BOOL")]
    pub require_user_agent: Option<bool>,
    /// Allow the password grant (the seed's "cipher mode") [default: true].
    #[arg(long, env = "GATEHOUSE_PASSWORD_GRANT", global = true, value_name = "BOOL")]
    pub password_grant: Option<bool>,
    /// Allow plain-http callback URLs on hosts other than loopback [default: false].
    #[arg(long, env = "GATEHOUSE_ALLOW_HTTP_CALLBACKS", global = true, value_name = "BOOL")]
    pub allow_http_callbacks: Option<bool>,
    /// Take the client address from the last X-Forwarded-For entry (only behind a trusted proxy) [default: false].
    #[arg(long, env = "GATEHOUSE_TRUST_FORWARDED_FOR", global = true, value_name = "BOOL")]
    pub trust_forwarded_for: Option<bool>,
    /// Refresh token lifetime in days [default: 30].
    #[arg(long, env = "GATEHOUSE_REFRESH_TOKEN_TTL_DAYS", global = true, value_name = "DAYS")]
    pub refresh_token_ttl_days: Option<i64>,
    /// Largest request body in bytes [default: 65536].
    #[arg(long, env = "GATEHOUSE_MAX_BODY_BYTES", global = true, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Argon2id memory cost in KiB [default: 19456].
    #[arg(long, env = "GATEHOUSE_ARGON2_MEMORY_KIB", global = true, value_name = "KIB")]
    pub argon2_memory_kib: Option<u32>,
    /// Argon2id passes [default: 2].
    #[arg(long, env = "GATEHOUSE_ARGON2_ITERATIONS", global = true, value_name = "N")]
    pub argon2_iterations: Option<u32>,
    /// Argon2id lanes [default: 1].
    #[arg(long, env = "GATEHOUSE_ARGON2_PARALLELISM", global = true, value_name = "N")]
    pub argon2_parallelism: Option<u32>,
    /// Secret that seals the ID token signing keys and the TOTP secrets in the database (AES-256-GCM), at least 32 characters; visible in the process list as a flag: prefer the environment or the file [default: none, stored unsealed].
    #[arg(long, env = "GATEHOUSE_KEY_ENCRYPTION_KEY", global = true, value_name = "SECRET", hide_env_values = true)]
    pub key_encryption_key: Option<String>,
    /// Log format [default: text]. Log levels come from RUST_LOG (default: info).
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", global = true, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// SMTP server for mail: smtp://HOST:PORT, smtps://HOST:PORT (TLS) or smtp://HOST:PORT?tls=starttls, with USER:PASSWORD@ before the host for SMTP AUTH (a password in a flag shows in the process list: prefer the environment or the file) [default: none, mail is written to --mail-dir].
    #[arg(long, env = "GATEHOUSE_SMTP_URL", global = true, value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// PEM file of a CA certificate to trust for the SMTP server, beside the system's (a relay with a private CA).
    #[arg(long, env = "GATEHOUSE_SMTP_CA_FILE", global = true, value_name = "FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// The From of every mail, "Name <user@host>" [default: Gatehouse <noreply@ISSUER-HOST>].
    #[arg(long, env = "GATEHOUSE_MAIL_FROM", global = true, value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// Without --smtp-url, mails are written here as .eml files [default: mail/ beside the SQLite database, ./mail for PostgreSQL].
    #[arg(long, env = "GATEHOUSE_MAIL_DIR", global = true, value_name = "DIR")]
    pub mail_dir: Option<PathBuf>,
}

/// The TOML file: the same keys as the flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    migrate: Option<bool>,
    purge_interval_secs: Option<u64>,
    security_log_days: Option<u32>,
    database: Option<DatabaseFile>,
    listen: Option<SocketAddr>,
    metrics_listen: Option<SocketAddr>,
    issuer: Option<url::Url>,
    require_user_agent: Option<bool>,
    password_grant: Option<bool>,
    allow_http_callbacks: Option<bool>,
    trust_forwarded_for: Option<bool>,
    refresh_token_ttl_days: Option<i64>,
    max_body_bytes: Option<usize>,
    log_format: Option<LogFormat>,
    key_encryption_key: Option<String>,
    argon2: Option<Argon2File>,
    smtp_url: Option<String>,
    smtp_ca_file: Option<PathBuf>,
    mail_from: Option<String>,
    mail_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseFile {
    max_connections: Option<u32>,
    statement_timeout_ms: Option<u64>,
    acquire_timeout_ms: Option<u64>,
    session_options: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Argon2File {
    memory_kib: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for these settings.
    #[error("invalid configuration in {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("invalid setting: {0}")]
    Invalid(String),
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Address of the metrics listener (`GET /metrics`), when set.
    pub metrics_listen: Option<SocketAddr>,
    /// Database URL (it may hold a password: `Debug` and `Display` redact it).
    pub database_url: DatabaseUrl,
    /// Whether `serve` applies migrations at start.
    pub migrate: bool,
    /// Connection pool sizes and timeouts (PostgreSQL).
    pub database: PoolSettings,
    /// Seconds between purges of expired rows; 0: never.
    pub purge_interval_secs: u64,
    /// Days the security log keeps events (purged with expired rows).
    pub security_log_days: u32,
    /// Public base URL without a trailing slash; `None` until the server has
    /// bound its address, then `http://ADDRESS` unless set.
    pub issuer: Option<String>,
    /// Whether token requests need a User-Agent.
    pub require_user_agent: bool,
    /// Whether plain-http callbacks are allowed beyond loopback.
    pub allow_http_callbacks: bool,
    /// Whether the client address comes from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// Protocol lifetimes and switches.
    pub policy: Policy,
    /// Password hashing cost.
    pub argon2: Argon2Settings,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Log format.
    pub log_format: LogFormat,
    /// Seals the private signing keys and the TOTP secrets at rest, when set.
    pub key_encryption_key: Option<KeyEncryptionKey>,
    /// Where mail goes (its defaults resolved by [`Settings::mail_dir`] and
    /// [`Settings::mail_from`]).
    pub mail: MailSettings,
}

impl Default for Settings {
    fn default() -> Self {
        let listen = SocketAddr::from(([127, 0, 0, 1], 8080));
        Settings {
            listen,
            metrics_listen: None,
            database_url: DatabaseUrl::new("sqlite://gatehouse.db"),
            migrate: true,
            database: PoolSettings::default(),
            purge_interval_secs: 300,
            security_log_days: 90,
            issuer: None,
            require_user_agent: true,
            allow_http_callbacks: false,
            trust_forwarded_for: false,
            policy: Policy::default(),
            argon2: Argon2Settings::default(),
            max_body_bytes: 64 * 1024,
            log_format: LogFormat::Text,
            key_encryption_key: None,
            mail: MailSettings::default(),
        }
    }
}

impl Settings {
    /// Resolves defaults, file, environment and flags (clap has already put
    /// flags over environment in `args`).
    pub fn load(args: &SettingsArgs) -> Result<Settings, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let argon2_file = file.argon2.unwrap_or_default();
        let database_file = file.database.unwrap_or_default();
        let defaults = Settings::default();
        let listen = args.listen.or(file.listen).unwrap_or(defaults.listen);
        let issuer = args.issuer.clone().or(file.issuer).map(|u| u.as_str().trim_end_matches('/').to_owned());
        let refresh_days = args
            .refresh_token_ttl_days
            .or(file.refresh_token_ttl_days)
            .unwrap_or(defaults.policy.refresh_token_ttl / 86_400);
        if !(1..=3650).contains(&refresh_days) {
            return Err(ConfigError::Invalid("refresh_token_ttl_days must be 1 to 3650".into()));
        }
        let settings = Settings {
            listen,
            metrics_listen: args.metrics_listen.or(file.metrics_listen),
            database_url: args.database_url.clone().or(file.database_url).map_or(defaults.database_url, DatabaseUrl),
            migrate: !args.no_migrate && file.migrate.unwrap_or(defaults.migrate),
            database: PoolSettings {
                max_connections: args
                    .database_max_connections
                    .or(database_file.max_connections)
                    .unwrap_or(defaults.database.max_connections),
                statement_timeout_ms: args
                    .database_statement_timeout_ms
                    .or(database_file.statement_timeout_ms)
                    .unwrap_or(defaults.database.statement_timeout_ms),
                acquire_timeout_ms: args
                    .database_acquire_timeout_ms
                    .or(database_file.acquire_timeout_ms)
                    .unwrap_or(defaults.database.acquire_timeout_ms),
                session_options: args
                    .database_session_options
                    .or(database_file.session_options)
                    .unwrap_or(defaults.database.session_options),
            },
            purge_interval_secs: args
                .purge_interval_secs
                .or(file.purge_interval_secs)
                .unwrap_or(defaults.purge_interval_secs),
            security_log_days: args.security_log_days.or(file.security_log_days).unwrap_or(defaults.security_log_days),
            issuer,
            require_user_agent: args
                .require_user_agent
                .or(file.require_user_agent)
                .unwrap_or(defaults.require_user_agent),
            allow_http_callbacks: args
                .allow_http_callbacks
                .or(file.allow_http_callbacks)
                .unwrap_or(defaults.allow_http_callbacks),
            trust_forwarded_for: args
                .trust_forwarded_for
                .or(file.trust_forwarded_for)
                .unwrap_or(defaults.trust_forwarded_for),
            policy: Policy {
                password_grant: args.password_grant.or(file.password_grant).unwrap_or(defaults.policy.password_grant),
                refresh_token_ttl: refresh_days * 86_400,
                ..defaults.policy
            },
            argon2: Argon2Settings {
                memory_kib: args.argon2_memory_kib.or(argon2_file.memory_kib).unwrap_or(defaults.argon2.memory_kib),
                iterations: args.argon2_iterations.or(argon2_file.iterations).unwrap_or(defaults.argon2.iterations),
                parallelism: args.argon2_parallelism.or(argon2_file.parallelism).unwrap_or(defaults.argon2.parallelism),
            },
            max_body_bytes: args.max_body_bytes.or(file.max_body_bytes).unwrap_or(defaults.max_body_bytes),
            log_format: args.log_format.or(file.log_format).unwrap_or(defaults.log_format),
            key_encryption_key: args.key_encryption_key.clone().or(file.key_encryption_key).map(KeyEncryptionKey::new),
            mail: MailSettings {
                smtp_url: args
                    .smtp_url
                    .clone()
                    .or(file.smtp_url)
                    .map(|url| SmtpUrl::parse(&url))
                    .transpose()
                    .map_err(|e| ConfigError::Invalid(e.to_string()))?,
                smtp_ca_file: args.smtp_ca_file.clone().or(file.smtp_ca_file),
                from: args.mail_from.clone().or(file.mail_from),
                dir: args.mail_dir.clone().or(file.mail_dir),
            },
        };
        if let Some(from) = &settings.mail.from {
            mail::check_from(from).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        if !(1..=1000).contains(&settings.database.max_connections) {
            return Err(ConfigError::Invalid("database max_connections must be 1 to 1000".into()));
        }
        if !(100..=600_000).contains(&settings.database.statement_timeout_ms) {
            return Err(ConfigError::Invalid("database statement_timeout_ms must be 100 to 600000".into()));
        }
        if !(1024..=16 * 1024 * 1024).contains(&settings.max_body_bytes) {
            return Err(ConfigError::Invalid("max_body_bytes must be 1 KiB to 16 MiB".into()));
        }
        Ok(settings)
    }

    /// The public base URL (set by the server once it is bound).
    pub fn issuer(&self) -> &str {
        self.issuer.as_deref().unwrap_or_default()
    }

    /// The database URL without its password, for logs and messages.
    pub fn redacted_database_url(&self) -> String {
        self.database_url.to_string()
    }

    /// Where `.eml` files go without SMTP: `--mail-dir`, else `mail/` beside
    /// the SQLite database file, else (PostgreSQL) `./mail`.
    pub fn mail_dir(&self) -> PathBuf {
        self.mail.dir.clone().unwrap_or_else(|| default_mail_dir(self.database_url.expose()))
    }

    /// The `From` of every mail: `--mail-from`, else `Gatehouse
    /// <noreply@HOST>` with the issuer's host name (`localhost` when the
    /// issuer is an IP address).
    pub fn mail_from(&self) -> String {
        if let Some(from) = &self.mail.from {
            return from.clone();
        }
        let host = url::Url::parse(self.issuer()).ok().and_then(|u| match u.host() {
            Some(url::Host::Domain(name)) => Some(name.to_owned()),
            _ => None,
        });
        format!("Gatehouse <noreply@{}>", host.as_deref().unwrap_or("localhost"))
    }

    /// Whether the issuer is https (then cookies are `Secure`).
    pub fn is_https(&self) -> bool {
        self.issuer().starts_with("https://")
    }
}

/// A database URL. It may carry a password, so it shows itself only
/// redacted; [`DatabaseUrl::expose`] gives the real one to the driver.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(url.into())
    }

    /// The URL with its password, for connecting only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("REDACTED"));
                f.write_str(parsed.as_str())
            }
            _ => f.write_str(&self.0),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `mail/` in the folder of the SQLite database file `sqlite://PATH`
/// (`sqlite:PATH`, with or without `?options`), else `./mail`.
fn default_mail_dir(database_url: &str) -> PathBuf {
    let path = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
    let path = path.map(|p| p.split('?').next().unwrap_or_default()).filter(|p| !p.is_empty() && *p != ":memory:");
    match path.and_then(|p| Path::new(p).parent()) {
        Some(folder) => folder.join("mail"),
        None => PathBuf::from("mail"),
    }
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\npassword_grant = false\n[argon2]\nmemory_kib = 8192\n")
            .unwrap();
        let args = SettingsArgs {
            config: Some(path),
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..SettingsArgs::default()
        };

        let settings = Settings::load(&args).unwrap();

        assert_eq!(settings.listen.port(), 9100);
        assert_eq!(settings.issuer, None);
        assert!(!settings.policy.password_grant);
        assert_eq!(settings.argon2.memory_kib, 8192);
        assert_eq!(settings.argon2.iterations, 2);
        assert_eq!(settings.database_url.expose(), "sqlite://gatehouse.db");
    }

    #[test]
    fn the_example_file_parses_and_states_the_defaults() {
        let args = SettingsArgs { config: Some("config/gatehouse.example.toml".into()), ..SettingsArgs::default() };

        let settings = Settings::load(&args).unwrap();

        let defaults = Settings::default();
        assert_eq!(settings.listen, defaults.listen);
        assert_eq!(settings.metrics_listen, defaults.metrics_listen);
        assert_eq!(settings.database_url, defaults.database_url);
        assert_eq!(settings.argon2, defaults.argon2);
        assert_eq!(settings.max_body_bytes, defaults.max_body_bytes);
        assert_eq!(settings.policy.refresh_token_ttl, defaults.policy.refresh_token_ttl);
        assert_eq!(settings.policy.password_grant, defaults.policy.password_grant);
        assert_eq!(settings.require_user_agent, defaults.require_user_agent);
        assert_eq!(settings.trust_forwarded_for, defaults.trust_forwarded_for);
        assert_eq!(settings.migrate, defaults.migrate);
        assert_eq!(settings.database, defaults.database);
        assert_eq!(settings.purge_interval_secs, defaults.purge_interval_secs);
        assert_eq!(settings.mail, defaults.mail);
    }

    #[test]
    fn the_database_password_never_reaches_a_message() {
        let settings =
            Settings { database_url: DatabaseUrl::new("postgres://gh:s3cret@db:5432/gh"), ..Settings::default() };

        assert_eq!(settings.redacted_database_url(), "postgres://gh:REDACTED@db:5432/gh");
        assert!(!format!("{settings:?}").contains("s3cret"), "Debug of the settings redacts it too");
        assert_eq!(Settings::default().redacted_database_url(), "sqlite://gatehouse.db");
    }

    #[test]
    fn mail_goes_beside_the_sqlite_database_unless_told_otherwise() {
        let cases = [
            ("sqlite://gatehouse.db", "mail"),
            ("sqlite:///var/lib/gatehouse/g.db?mode=rwc", "/var/lib/gatehouse/mail"),
            ("sqlite:data/g.db", "data/mail"),
            ("sqlite::memory:", "mail"),
            ("postgres://gh:pw@db/gh", "mail"),
        ];
        for (url, expected) in cases {
            let settings = Settings { database_url: DatabaseUrl::new(url), ..Settings::default() };
            assert_eq!(settings.mail_dir(), PathBuf::from(expected), "{url}");
        }
        let told = Settings {
            mail: MailSettings { dir: Some("/srv/mail".into()), ..MailSettings::default() },
            ..Settings::default()
        };
        assert_eq!(told.mail_dir(), PathBuf::from("/srv/mail"));
    }

    #[test]
    fn mail_comes_from_the_issuers_host_unless_told_otherwise() {
        let named = Settings { issuer: Some("https://id.example.com".into()), ..Settings::default() };
        let by_address = Settings { issuer: Some("http://127.0.0.1:8080".into()), ..Settings::default() };
        assert_eq!(named.mail_from(), "Gatehouse <noreply@id.example.com>");
        assert_eq!(by_address.mail_from(), "Gatehouse <noreply@localhost>");
        assert!(mail::check_from(&named.mail_from()).is_ok());
    }

    #[test]
    fn mail_settings_are_checked_and_the_smtp_password_never_shows() {
        let args = SettingsArgs {
            smtp_url: Some("smtp://mailer:hunter2@relay.example.com?tls=starttls".into()),
            mail_from: Some("Accounts <accounts@example.com>".into()),
            ..SettingsArgs::default()
        };
        let settings = Settings::load(&args).unwrap();
        assert_eq!(settings.mail_from(), "Accounts <accounts@example.com>");
        assert!(!format!("{settings:?}").contains("hunter2"));

        for bad in [
            SettingsArgs { smtp_url: Some("http://relay.example.com".into()), ..SettingsArgs::default() },
            SettingsArgs { mail_from: Some("not an address".into()), ..SettingsArgs::default() },
        ] {
            assert!(matches!(Settings::load(&bad), Err(ConfigError::Invalid(_))));
        }
    }

    #[test]
    fn unknown_file_keys_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let args = SettingsArgs { config: Some(path), ..SettingsArgs::default() };
        assert!(matches!(Settings::load(&args), Err(ConfigError::Parse { .. })));
    }
}
