//! Runs the sample third-party application against a Gatehouse server.
//!
//! ```sh
//! cargo run --example sample_client -- --client-id ID --client-secret SECRET
//! ```
//! then open the address it prints and press "Sign in with Gatehouse".

mod client;

use clap::Parser as _;

/// A sample application that signs its users in with Gatehouse.
#[derive(Debug, clap::Parser)]
struct Args {
    /// Gatehouse's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    gatehouse: String,
    /// The application's client id.
    #[arg(long)]
    client_id: String,
    /// The application's client secret (omit for a public client).
    #[arg(long)]
    client_secret: Option<String>,
    /// Scopes to request.
    #[arg(long, default_value = "user_info")]
    scope: String,
    /// Where the sample client listens (its callback is `http://ADDRESS/cb`).
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = client::Config {
        gatehouse: args.gatehouse.trim_end_matches('/').to_owned(),
        client_id: args.client_id,
        client_secret: args.client_secret,
        scope: args.scope,
    };
    let address = client::start(config, args.listen).await?;
    println!("sample client: open http://{address}/ (callback http://{address}/cb); Ctrl-C to stop");
    tokio::signal::ctrl_c().await
}
