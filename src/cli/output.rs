//! What the commands print, shared: times as RFC 3339.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::clock::UnixTime;

/// A stored time as RFC 3339, or `-` for none.
pub(super) fn time_text(unix: Option<UnixTime>) -> String {
    unix.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_owned())
}
