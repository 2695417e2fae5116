//! Why a server could not be reached — the cluster, Prometheus, a scrape
//! target — in the words an operator acts on, the same for each.

/// What went wrong on the way to a server, in the words an operator acts
/// on ("connection refused", "TLS: unknown authority"), found down the
/// error's chain of causes; `None` when nothing there is known.
pub fn cause(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    let mut deepest = None;
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            let words = match io.kind() {
                ConnectionRefused => Some("connection refused".to_owned()),
                ConnectionReset | ConnectionAborted => Some("the connection was dropped".to_owned()),
                TimedOut => Some("timed out".to_owned()),
                NotFound | AddrNotAvailable => Some("no such host".to_owned()),
                _ => None,
            };
            if words.is_some() {
                return words;
            }
        }
        let text = e.to_string();
        let lower = text.to_ascii_lowercase();
        // Same-named CAs get as far as the signature check.
        if lower.contains("unknownissuer") || lower.contains("unknown issuer") || lower.contains("badsignature") {
            return Some("TLS: unknown authority (the server's certificate is not signed by the CA in use)".into());
        }
        if lower.contains("certificate") && lower.contains("expired") {
            return Some("TLS: the server's certificate has expired".into());
        }
        if lower.contains("notvalidforname") || lower.contains("not valid for name") {
            return Some("TLS: the server's certificate is not for this host name".into());
        }
        if lower.contains("dns error") || lower.contains("failed to lookup address") {
            return Some("no such host".into());
        }
        if lower.contains("timed out") || lower.contains("elapsed") {
            return Some("timed out".into());
        }
        deepest = Some(text);
        next = e.source();
    }
    deepest.map(|t| crate::text::clean(&t))
}

/// A failed HTTP request in those words, with where it was going:
/// "connection refused at http://127.0.0.1:9090".
pub fn request_failure(error: &reqwest::Error, at: &str) -> String {
    if error.is_timeout() {
        return format!("timed out at {at}");
    }
    let words = cause(error).unwrap_or_else(|| crate::text::clean(&crate::text::error_chain(error)));
    format!("{words} at {at}")
}
