//! The simulated API server's HTTP side: hyper serving routes, with every
//! error answered as a `Status` object.

pub mod auth;
mod discovery;
mod handlers;
pub mod patch;
pub mod protobuf;
pub mod route;
pub mod selector;
mod table;
mod watch;

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::Cluster;
use super::error::ApiError;

pub type Body = BoxBody<Bytes, Infallible>;

/// Serves TLS until the task is dropped or aborted.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, cluster: Arc<Cluster>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let cluster = cluster.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            // A failed handshake or a client that hangs up mid-request is
            // its own business.
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            let service = service_fn(move |req| handle(cluster.clone(), req));
            // The Date header is set from the cluster's clock in `handle`.
            let _ = http1::Builder::new()
                .auto_date_header(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(cluster: Arc<Cluster>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut response = match handlers::dispatch(&cluster, req).await {
        Ok(response) => response,
        Err(error) => error_response(&error),
    };
    // As a real API server, the Date header is the cluster's clock (here
    // simulated time): what a client measures object ages against.
    let now = cluster.lock().now();
    let date = jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&now);
    if let Ok(Ok(value)) = date.map(hyper::header::HeaderValue::try_from) {
        response.headers_mut().insert(hyper::header::DATE, value);
    }
    tracing::debug!("sim {method} {path} -> {}", response.status());
    Ok(response)
}

pub fn json_response(code: u16, value: &Value) -> Response<Body> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

pub fn text_response(text: &'static str) -> Response<Body> {
    let mut response = Response::new(full(text));
    response
        .headers_mut()
        .insert("content-type", hyper::header::HeaderValue::from_static("text/plain"));
    response
}

pub fn error_response(error: &ApiError) -> Response<Body> {
    json_response(error.code, &error.to_status())
}

pub fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).boxed()
}
