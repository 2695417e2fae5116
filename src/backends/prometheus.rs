//! Prometheus's HTTP API: instant and range queries, alerts and rules.
//! Sample values arrive as strings ("1.5", "NaN", "+Inf"); errors arrive as
//! `{"status":"error","errorType":…,"error":…}` with 400, 422 or 503.
//! Every call has a timeout and a cap on the response size; credentials
//! come from an environment variable or a file, TLS is always verified.
//! API reference: prometheus.io/docs/prometheus/latest/querying/api/

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::metrics::PrometheusSettings;
use crate::domain::alerting::RuleState;
use crate::text::Clean;

/// Answers larger than this are refused rather than parsed.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Longer query strings go as a POST form (proxies cap URL length).
const MAX_GET_QUERY: usize = 2000;

pub type Labels = BTreeMap<String, String>;

/// One series of an instant query.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSample {
    pub labels: Labels,
    pub time: f64,
    pub value: f64,
}

/// One series of a range query.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub points: Vec<(f64, f64)>,
}

/// An active alert, as `/api/v1/alerts` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveAlert {
    pub name: Clean,
    pub state: RuleState,
    pub active_at: String,
    pub value: f64,
    pub labels: BTreeMap<Clean, Clean>,
    pub summary: Clean,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    #[error("Prometheus rejected the query ({kind}): {message}")]
    Rejected { status: u16, kind: String, message: String },
    #[error("Prometheus answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("no answer from {url} within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    /// Why, and where: "connection refused at http://127.0.0.1:9090".
    #[error("{0}")]
    Unreachable(String),
    #[error("the answer from {url} is larger than {limit} bytes; narrow the query")]
    TooLarge { url: String, limit: usize },
    #[error("unexpected answer from {url}: {message}")]
    Malformed { url: String, message: String },
    #[error("metrics.prometheus: {0}")]
    Config(String),
}

#[derive(Clone)]
enum Auth {
    None,
    Bearer(String),
    Basic(String, String),
}

/// A Prometheus server; cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Prometheus {
    client: reqwest::Client,
    base: String,
    auth: Auth,
    timeout: Duration,
}

impl std::fmt::Debug for Prometheus {
    // Never prints credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prometheus")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Makes ring the process's rustls provider (reqwest is built without one).
/// A provider already installed is kept.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client builder for metric sources: the TLS provider installed,
/// and `timeout` on connecting and on every whole call.
pub fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder().timeout(timeout).connect_timeout(timeout)
}

/// A response's body, or None as soon as it passes `limit` bytes (the
/// rest is never read).
pub async fn read_capped(response: &mut reqwest::Response, limit: usize) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

impl Prometheus {
    /// `env` reads environment variables (the process's, or a test's).
    pub fn new(
        settings: &PrometheusSettings,
        timeout: Duration,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Prometheus, PromError> {
        let base = settings.url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(PromError::Config(format!(
                "url: expected http://HOST:PORT or https://…, found {:?}",
                settings.url
            )));
        }
        let secret = |var: &str, file: &str, what: &str| -> Result<Option<String>, PromError> {
            if !var.is_empty() {
                return env(var)
                    .map(|v| Some(v.trim().to_owned()))
                    .ok_or_else(|| PromError::Config(format!("{what}_env: the variable {var} is not set")));
            }
            if !file.is_empty() {
                return std::fs::read_to_string(file)
                    .map(|v| Some(v.trim().to_owned()))
                    .map_err(|e| PromError::Config(format!("{what}_file: cannot read {file}: {e}")));
            }
            Ok(None)
        };
        let auth = match secret(&settings.token_env, &settings.token_file, "token")? {
            Some(token) => Auth::Bearer(token),
            None if !settings.username.is_empty() => {
                let password = secret(&settings.password_env, &settings.password_file, "password")?;
                Auth::Basic(settings.username.clone(), password.unwrap_or_default())
            }
            None => Auth::None,
        };
        let mut builder = client_builder(timeout);
        if !settings.ca_file.is_empty() {
            let pem = std::fs::read(&settings.ca_file)
                .map_err(|e| PromError::Config(format!("ca_file: cannot read {}: {e}", settings.ca_file)))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                PromError::Config(format!(
                    "ca_file: expected PEM certificates in {}: {e}",
                    settings.ca_file
                ))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| PromError::Config(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Prometheus {
            client,
            base,
            auth,
            timeout,
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// `/api/v1/query` at `time` (Unix seconds; now when None).
    pub async fn query(&self, expr: &str, time: Option<f64>) -> Result<Vec<InstantSample>, PromError> {
        let mut params = vec![("query", expr.to_owned())];
        if let Some(time) = time {
            params.push(("time", format!("{time:.3}")));
        }
        let data = self.call("/api/v1/query", &params).await?;
        let url = self.endpoint("/api/v1/query");
        let bad = |message: String| PromError::Malformed {
            url: url.clone(),
            message,
        };
        match data["resultType"].as_str() {
            Some("vector") => data["result"]
                .as_array()
                .ok_or_else(|| bad("data.result is not a list".into()))?
                .iter()
                .map(|s| {
                    let (time, value) = point(&s["value"]).map_err(&bad)?;
                    Ok(InstantSample {
                        labels: labels(&s["metric"]),
                        time,
                        value,
                    })
                })
                .collect(),
            Some("scalar") => {
                let (time, value) = point(&data["result"]).map_err(&bad)?;
                Ok(vec![InstantSample {
                    labels: Labels::new(),
                    time,
                    value,
                }])
            }
            other => Err(bad(format!("expected a vector or scalar result, found {other:?}"))),
        }
    }

    /// `/api/v1/query_range` from `start` to `end` every `step` seconds.
    pub async fn query_range(
        &self,
        expr: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Vec<RangeSeries>, PromError> {
        let params = [
            ("query", expr.to_owned()),
            ("start", format!("{start:.3}")),
            ("end", format!("{end:.3}")),
            ("step", format!("{step:.3}")),
        ];
        let data = self.call("/api/v1/query_range", &params).await?;
        let url = self.endpoint("/api/v1/query_range");
        let bad = |message: String| PromError::Malformed {
            url: url.clone(),
            message,
        };
        if data["resultType"] != "matrix" {
            return Err(bad(format!("expected a matrix result, found {}", data["resultType"])));
        }
        data["result"]
            .as_array()
            .ok_or_else(|| bad("data.result is not a list".into()))?
            .iter()
            .map(|s| {
                let points = s["values"]
                    .as_array()
                    .ok_or_else(|| bad("a series has no values".into()))?
                    .iter()
                    .map(point)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(&bad)?;
                Ok(RangeSeries {
                    labels: labels(&s["metric"]),
                    points,
                })
            })
            .collect()
    }

    /// `/api/v1/alerts`: pending and firing alerts.
    pub async fn alerts(&self) -> Result<Vec<ActiveAlert>, PromError> {
        let data = self.call("/api/v1/alerts", &[]).await?;
        let alerts = data["alerts"].as_array().map(Vec::as_slice).unwrap_or_default();
        alerts
            .iter()
            .map(|a| {
                let labels = labels(&a["labels"]);
                let word = a["state"].as_str().unwrap_or_default();
                let state = RuleState::from_prometheus(word).ok_or_else(|| PromError::Malformed {
                    url: self.endpoint("/api/v1/alerts"),
                    message: format!("alert state: expected pending, firing or inactive, found {word:?}"),
                })?;
                Ok(ActiveAlert {
                    name: Clean::new(labels.get("alertname").map_or("", String::as_str)),
                    state,
                    active_at: a["activeAt"].as_str().unwrap_or_default().to_owned(),
                    value: a["value"].as_str().map_or(f64::NAN, parse_value),
                    summary: Clean::new(a["annotations"]["summary"].as_str().unwrap_or_default()),
                    labels: labels.iter().map(|(k, v)| (Clean::new(k), Clean::new(v))).collect(),
                })
            })
            .collect()
    }

    /// `/api/v1/rules`: the rule groups, as Prometheus reports them.
    pub async fn rules(&self) -> Result<Value, PromError> {
        self.call("/api/v1/rules", &[]).await
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One API call: the `data` of a success, or the error it names.
    async fn call(&self, path: &str, params: &[(&str, String)]) -> Result<Value, PromError> {
        let url = self.endpoint(path);
        let long = params.iter().map(|(k, v)| k.len() + v.len() * 3).sum::<usize>() > MAX_GET_QUERY;
        let request = if long {
            self.client.post(&url).form(params)
        } else {
            self.client.get(&url).query(params)
        };
        let request = match &self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        };
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                PromError::Timeout {
                    url: url.clone(),
                    seconds: self.timeout.as_secs(),
                }
            } else {
                PromError::Unreachable(crate::backends::net_error::request_failure(&e, &self.base))
            }
        };
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let Some(body) = read_capped(&mut response, MAX_RESPONSE_BYTES).await.map_err(failed)? else {
            return Err(PromError::TooLarge {
                url,
                limit: MAX_RESPONSE_BYTES,
            });
        };
        let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_owned();
            return Err(if (200..300).contains(&status) {
                PromError::Malformed {
                    url,
                    message: format!("not the API's JSON: {text:?}"),
                }
            } else {
                PromError::Http { status, body: text }
            });
        };
        match envelope.status.as_str() {
            "success" => Ok(envelope.data),
            _ => Err(PromError::Rejected {
                status,
                kind: envelope.error_type.unwrap_or_else(|| "unknown".into()),
                message: envelope.error.unwrap_or_default(),
            }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Value,
    error_type: Option<String>,
    error: Option<String>,
}

fn labels(metric: &Value) -> Labels {
    metric
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// `[1700000000.123, "0.5"]`
fn point(pair: &Value) -> Result<(f64, f64), String> {
    match (pair[0].as_f64(), pair[1].as_str()) {
        (Some(time), Some(value)) => Ok((time, parse_value(value))),
        _ => Err(format!("expected [time, \"value\"], found {pair}")),
    }
}

/// Prometheus's float formatting ("1e-3", "NaN", "+Inf", "-Inf"), read as
/// the text format's values are; anything else is NaN.
pub fn parse_value(text: &str) -> f64 {
    super::scrape::parse_value(text).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_include_the_special_floats() {
        assert!(parse_value("NaN").is_nan());
        assert_eq!(parse_value("+Inf"), f64::INFINITY);
        assert_eq!(parse_value("-Inf"), f64::NEG_INFINITY);
        assert_eq!(parse_value("1e-3"), 0.001);
        assert!(parse_value("garbage").is_nan());
    }

    #[test]
    fn settings_are_checked_before_any_request() {
        let env = |_: &str| None;
        let bad = |s: PrometheusSettings| {
            Prometheus::new(&s, Duration::from_secs(1), &env)
                .unwrap_err()
                .to_string()
        };
        let url = |u: &str| PrometheusSettings {
            url: u.into(),
            ..Default::default()
        };
        assert!(bad(url("localhost:9090")).contains("expected http://HOST:PORT"));
        let missing = PrometheusSettings {
            token_env: "PROM_TOKEN".into(),
            ..url("http://p:9090")
        };
        assert_eq!(
            bad(missing),
            "metrics.prometheus: token_env: the variable PROM_TOKEN is not set"
        );
        let file = PrometheusSettings {
            ca_file: "/nonexistent/ca.pem".into(),
            ..url("https://p")
        };
        assert!(bad(file).contains("ca_file: cannot read /nonexistent/ca.pem"));
    }
}
