//! What the list commands share: their paging and `--json` arguments, and
//! times printed as RFC 3339.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::clock::UnixTime;

/// A stored time as RFC 3339, or `-` for none.
pub(super) fn time_text(unix: Option<UnixTime>) -> String {
    unix.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_owned())
}

/// The arguments of every `list` command.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// At most this many.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub(super) limit: i64,
    /// Skip this many first.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    pub(super) offset: i64,
    /// Print the result as JSON (an array).
    #[arg(long)]
    pub(super) json: bool,
}
