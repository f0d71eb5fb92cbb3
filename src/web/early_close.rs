//! Early answers close the connection, and say so (SPEC §4, "Robustness").
//!
//! When a response is sent before the request body was read to its end (too
//! large, refused before reading, timed out), hyper cannot reuse the
//! connection — the rest of the body is still on the wire — so it closes it
//! after the response. Without `Connection: close` the client does not know:
//! it returns the connection to its pool, and its next request may meet the
//! closed socket ("connection closed before message completed"). This layer
//! watches the request body and adds the header whenever it was not read to
//! the end.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// Runs the request with its body watched; marks the response
/// `Connection: close` if the body was not read to the end.
pub async fn close_unless_body_read(request: Request, next: Next) -> Response {
    // `Connection` is HTTP/1 only: HTTP/2 forbids the header (RFC 9113 §8.2.2).
    let http1 = matches!(request.version(), Version::HTTP_09 | Version::HTTP_10 | Version::HTTP_11);
    let (request, read_to_end) = watch_body(request);
    let mut response = next.run(request).await;
    if http1 && !read_to_end.load(Ordering::Acquire) {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Wraps the request's body; the flag turns true once it has been read to
/// its end (at once for a request without a body).
fn watch_body(request: Request) -> (Request, Arc<AtomicBool>) {
    let (parts, inner) = request.into_parts();
    let read_to_end = Arc::new(AtomicBool::new(inner.is_end_stream()));
    let body = WatchedBody { inner, read_to_end: Arc::clone(&read_to_end) };
    (Request::from_parts(parts, Body::new(body)), read_to_end)
}

/// A body that records when it reached its end.
struct WatchedBody {
    inner: Body,
    read_to_end: Arc<AtomicBool>,
}

impl HttpBody for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.inner.is_end_stream() {
            this.read_to_end.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
