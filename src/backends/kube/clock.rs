//! The cluster's clock. An object's age is the API server's "now" minus
//! its creationTimestamp, both on the server's clock: that is what
//! kubectl's AGE column shows (the server prints the table). The local
//! clock can differ (skew on a bastion host; the simulated cluster runs
//! faster than real time), so ages are measured against the server's
//! `Date` header, not against the local clock.

use jiff::Timestamp;

use super::Connection;

/// The server's time as its `Date` header says, or `None` when it sent
/// none (or an unreadable one), or cannot be reached.
pub async fn server_now(conn: &Connection) -> Option<Timestamp> {
    let request = hyper::Request::get("/version")
        .body(kube::client::Body::from(Vec::new()))
        .ok()?;
    let response = conn.client.send(request).await.ok()?;
    let date = response.headers().get(hyper::header::DATE)?.to_str().ok()?;
    parse_date(date)
}

/// An HTTP date (`Tue, 01 Dec 2026 21:45:53 GMT`).
pub fn parse_date(date: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(date).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn reads_an_http_date() {
        let t = parse_date("Tue, 01 Dec 2026 21:45:53 GMT").map(|t| t.as_second());
        assert_eq!(t, Some(1_796_161_553));
        assert_eq!(parse_date("yesterday"), None);
    }
}
