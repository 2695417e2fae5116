//! The direct-scrape source: reads every `/metrics` URL at an interval
//! (concurrently, each with a timeout and a size cap) into a bounded ring
//! per series. A URL that fails keeps its old samples and its error; the
//! others go on.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::panels::SeriesKey;
use super::scrape::{self, Ring};

/// Expositions larger than this are refused rather than parsed.
pub const MAX_EXPOSITION_BYTES: usize = 16 * 1024 * 1024;

/// Series kept across every URL: enough for many versions' histograms,
/// bounded against label churn (the series updated longest ago go).
pub const MAX_SERIES: usize = 20_000;

/// Why a scraper cannot be made, or one URL's scrape failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScrapeError {
    #[error("metrics.scrape.urls: expected http:// or https:// URLs, found {0:?}")]
    NotHttp(String),
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("{url}: no answer in time")]
    Timeout { url: String },
    /// The request failed; the words name the URL.
    #[error("{0}")]
    Request(String),
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: String },
    #[error("{url}: the exposition is larger than {MAX_EXPOSITION_BYTES} bytes")]
    TooLarge { url: String },
    #[error("{url}: the exposition is not UTF-8 text")]
    NotText { url: String },
    #[error("{url}: {error}")]
    Parse { url: String, error: scrape::ParseError },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetStatus {
    pub url: String,
    /// Unix seconds of the last good scrape.
    pub last_ok: Option<f64>,
    /// Why the last scrape failed; None after a good one.
    pub error: Option<ScrapeError>,
    pub series: usize,
}

pub struct Scraper {
    client: reqwest::Client,
    interval: Duration,
    state: Mutex<ScrapeState>,
}

struct ScrapeState {
    ring: Ring<SeriesKey>,
    targets: Vec<TargetStatus>,
}

impl Scraper {
    pub fn new(urls: &[String], samples: usize, interval: Duration, timeout: Duration) -> Result<Scraper, ScrapeError> {
        if let Some(bad) = urls
            .iter()
            .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
        {
            return Err(ScrapeError::NotHttp(bad.clone()));
        }
        let client = super::prometheus::client_builder(timeout)
            .build()
            .map_err(|e| ScrapeError::Client(e.to_string()))?;
        let targets = urls
            .iter()
            .map(|url| TargetStatus {
                url: url.clone(),
                ..Default::default()
            })
            .collect();
        Ok(Scraper {
            client,
            interval,
            state: Mutex::new(ScrapeState {
                ring: Ring::with_series_limit(samples.max(2), MAX_SERIES),
                targets,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ScrapeState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Scrapes forever at the interval; run it on a task of its own.
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            self.scrape_once().await;
        }
    }

    /// One round over every URL, concurrently.
    pub async fn scrape_once(&self) {
        let urls: Vec<String> = self.lock().targets.iter().map(|t| t.url.clone()).collect();
        let reads = urls.iter().map(|url| self.read(url));
        let results = futures_util::future::join_all(reads).await;
        let now = unix_now();
        for (index, result) in results.into_iter().enumerate() {
            self.ingest(index, result, now);
        }
    }

    /// Takes one scrape of the `index`th URL (its samples, or why it
    /// failed) at Unix time `now`.
    pub fn ingest(&self, index: usize, result: Result<Vec<scrape::Sample>, ScrapeError>, now: f64) {
        let mut state = self.lock();
        let ScrapeState { ring, targets } = &mut *state;
        if let Some(target) = targets.get_mut(index) {
            match result {
                Ok(samples) => {
                    target.series = samples.len();
                    for sample in samples {
                        let mut labels = sample.labels;
                        // Two URLs exposing the same series stay apart, as
                        // Prometheus keeps them apart by `instance`.
                        if !labels.iter().any(|(k, _)| k == "instance") {
                            labels.push(("instance".into(), target.url.clone()));
                            labels.sort();
                        }
                        ring.push(
                            &SeriesKey {
                                name: sample.name,
                                labels,
                            },
                            now,
                            sample.value,
                        );
                    }
                    target.last_ok = Some(now);
                    target.error = None;
                }
                Err(e) => target.error = Some(e),
            }
        }
    }

    async fn read(&self, url: &str) -> Result<Vec<scrape::Sample>, ScrapeError> {
        let url_owned = || url.to_owned();
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                ScrapeError::Timeout { url: url_owned() }
            } else {
                ScrapeError::Request(crate::backends::net_error::request_failure(&e, url))
            }
        };
        let mut response = self.client.get(url).send().await.map_err(failed)?;
        if !response.status().is_success() {
            return Err(ScrapeError::Status {
                url: url_owned(),
                status: response.status().to_string(),
            });
        }
        let capped = super::prometheus::read_capped(&mut response, MAX_EXPOSITION_BYTES);
        let Some(body) = capped.await.map_err(failed)? else {
            return Err(ScrapeError::TooLarge { url: url_owned() });
        };
        let text = String::from_utf8(body).map_err(|_| ScrapeError::NotText { url: url_owned() })?;
        scrape::parse(&text).map_err(|error| ScrapeError::Parse {
            url: url_owned(),
            error,
        })
    }

    /// Runs `f` over the samples gathered so far.
    pub fn with_ring<T>(&self, f: impl FnOnce(&Ring<SeriesKey>) -> T) -> T {
        f(&self.lock().ring)
    }

    pub fn targets(&self) -> Vec<TargetStatus> {
        self.lock().targets.clone()
    }
}

pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
