//! `gatehouse serve`: run the server until SIGTERM or SIGINT.

use anyhow::Context as _;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};
use crate::startup::{App, shutdown_signal};

pub(super) async fn run(settings: Settings) -> anyhow::Result<()> {
    init_logging(settings.log_format);
    let database = settings.redacted_database_url();
    let app = App::build(settings).await.context("cannot start")?;
    let issuer = app.state().settings.issuer().to_owned();
    let mail = app.state().mailer.destination().to_owned();
    let metrics_port = app.metrics_port();
    tracing::info!(port = app.port(), metrics_port, %issuer, %database, %mail, "gatehouse is listening");
    app.run(shutdown_signal()).await.context("server failed")?;
    tracing::info!("gatehouse stopped");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
