//! `gatehouse keys rotate` and `gatehouse keys list` (SPEC §5 "Keys").

use super::output::time_text;
use crate::clock::{Clock as _, SystemClock, UnixTime};
use crate::config::Settings;
use crate::keys::{self, KeyState, Sealer};
use crate::store::SigningKeyRecord;
use anyhow::Context as _;

/// Signing key subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new current ID token signing key for every algorithm. The old
    /// keys stop signing (each instance switches within a minute) and their
    /// public halves stay published for 7 days.
    Rotate(KeysArgs),
    /// List the signing keys: current, still published, or retired.
    List(KeysArgs),
}

/// Arguments of every `keys` subcommand.
#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(settings: Settings, command: KeysCommand) -> anyhow::Result<()> {
    let store = super::open_store(&settings).await?;
    let now = SystemClock.now();
    let args = match command {
        KeysCommand::Rotate(args) => {
            let sealer = settings.key_encryption_key.as_ref().map(Sealer::new).transpose()?;
            let kids = keys::rotate(&*store, sealer.as_ref(), now).await.context("cannot rotate the signing keys")?;
            if !args.json {
                println!("new current keys: {}", kids.join(", "));
            }
            args
        }
        KeysCommand::List(args) => args,
    };
    let listed = store.list_signing_keys().await.context("cannot read the signing keys")?;
    if args.json {
        let out: Vec<_> = listed.iter().map(|key| as_json(key, now)).collect();
        println!("{}", serde_json::Value::Array(out));
    } else {
        println!("{:<45} {:<6} {:<10} {:<20} {:<20} at rest", "kid", "alg", "state", "created", "retired");
        for key in &listed {
            println!(
                "{:<45} {:<6} {:<10} {:<20} {:<20} {}",
                key.kid,
                key.alg.as_str(),
                KeyState::of(key, now).as_str(),
                time_text(Some(key.created_at)),
                time_text(key.retired_at),
                if key.protection == crate::domain::oidc::KeyProtection::None { "plain" } else { "sealed" },
            );
        }
    }
    Ok(())
}

/// One key of `keys list --json`.
fn as_json(key: &SigningKeyRecord, now: UnixTime) -> serde_json::Value {
    let state = KeyState::of(key, now);
    let published_until = match state {
        KeyState::Published { until } => Some(until),
        KeyState::Current | KeyState::Retired => None,
    };
    serde_json::json!({
        "kid": key.kid,
        "alg": key.alg.as_str(),
        "state": state.as_str(),
        "created_at": key.created_at,
        "retired_at": key.retired_at,
        "published_until": published_until,
        "protection": key.protection.as_str(),
    })
}
