//! The client's network address, for throttling and the audit trail: the
//! TCP peer, or, when the operator says a trusted proxy sits in front, the
//! address that proxy appended last to `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// Where the request came from.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip());
        if !state.settings.trust_forwarded_for {
            return Ok(ClientAddr(peer));
        }
        // Only the last entry, the one our proxy wrote: earlier ones are the
        // client's say-so. If it does not parse, fall back to the peer rather
        // than to an entry the client chose.
        let last = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .map(str::trim);
        let forwarded = last.and_then(|entry| {
            entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        });
        Ok(ClientAddr(forwarded.unwrap_or(peer)))
    }
}
