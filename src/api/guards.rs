//! Request guards in front of every route: the callback guard (allowlist,
//! per-address rate limit) on the callback routes, a body-size cap on the
//! management API. Refusals are JSON, like every other error.

use std::{net::IpAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use futures::StreamExt;
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};

use super::error::ErrorBody;
use crate::security::{CallbackGuard, Verdict};

/// The client address the guards resolved, for handlers that record it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// The guards, as a poem middleware.
pub struct RequestGuards {
    callback: Arc<CallbackGuard>,
    max_api_body_bytes: usize,
    request_timeout: Duration,
}

impl RequestGuards {
    /// Guards over this callback guard, API body cap and request deadline.
    pub fn new(callback: Arc<CallbackGuard>, max_api_body_bytes: usize, request_timeout: Duration) -> Self {
        Self { callback, max_api_body_bytes, request_timeout }
    }
}

impl<E: Endpoint> Middleware<E> for RequestGuards {
    type Output = GuardedEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        GuardedEndpoint {
            inner,
            callback: Arc::clone(&self.callback),
            max_api_body_bytes: self.max_api_body_bytes,
            request_timeout: self.request_timeout,
        }
    }
}

/// The endpoint [`RequestGuards`] wraps.
pub struct GuardedEndpoint<E> {
    inner: E,
    callback: Arc<CallbackGuard>,
    max_api_body_bytes: usize,
    request_timeout: Duration,
}

/// The routes WeCom and other senders call (everything under
/// `/api/v1/webhooks/` but the handler listing).
fn is_callback_path(path: &str) -> bool {
    path.starts_with("/api/v1/webhooks/") && path != "/api/v1/webhooks/handlers"
}

impl<E: Endpoint> Endpoint for GuardedEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let peer = request.remote_addr().as_socket_addr().map(|address| address.ip());
        let client = self.callback.client_ip(peer, request.headers());
        if let Some(client) = client {
            request.extensions_mut().insert(ClientIp(client));
        }
        if is_callback_path(request.uri().path()) {
            // Callback bodies have their own cap (`webhook.max_body_bytes`), read by the route.
            match self.callback.check(client) {
                Verdict::Allow => {}
                Verdict::NotAllowed => {
                    tracing::warn!(client = ?client, "Callback from an address outside security.callback_ips refused.");
                    return Ok(refusal(
                        http::StatusCode::FORBIDDEN,
                        "address_not_allowed",
                        "this address is not in security.callback_ips",
                    ));
                }
                Verdict::RateLimited { retry_after_secs } => {
                    let mut response = refusal(
                        http::StatusCode::TOO_MANY_REQUESTS,
                        "rate_limited",
                        "too many callbacks from this address; retry later",
                    );
                    response.headers_mut().insert(http::header::RETRY_AFTER, retry_after_secs.into());
                    return Ok(response);
                }
            }
        } else {
            let limit = self.max_api_body_bytes;
            let declared = request
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok());
            if declared.is_some_and(|length| length > limit as u64) {
                return Ok(too_large(limit));
            }
            // A body without a length (chunked) is cut off at the cap as it streams.
            let body = request.take_body();
            request.set_body(capped(body, limit));
        }
        // A deadline on the whole request, body upload included. A callback
        // cut off after its commit is answered 408, WeCom retries, and the
        // retry is deduplicated: nothing is lost or stored twice.
        match tokio::time::timeout(self.request_timeout, self.inner.call(request)).await {
            Ok(answer) => Ok(answer?.into_response()),
            Err(_) => Ok(refusal(
                http::StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                &format!("the request took longer than {} s", self.request_timeout.as_secs()),
            )),
        }
    }
}

fn capped(body: Body, limit: usize) -> Body {
    let mut seen = 0usize;
    Body::from_bytes_stream(body.into_bytes_stream().map(move |chunk| {
        let chunk: Bytes = chunk?;
        seen += chunk.len();
        if seen > limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("request body larger than {limit} bytes"),
            ));
        }
        Ok(chunk)
    }))
}

fn too_large(limit: usize) -> Response {
    refusal(
        http::StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        &format!("request body larger than {limit} bytes (security.max_api_body_bytes)"),
    )
}

fn refusal(status: http::StatusCode, error: &str, message: &str) -> Response {
    ErrorBody::new(error, message, None).with_status(status).into_response()
}
