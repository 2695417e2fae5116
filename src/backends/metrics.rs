//! The configured metrics source behind one interface: each panel's lines
//! over a time range, from Prometheus (PromQL range queries, at most
//! `concurrency` in flight) or from the direct scraper (computed locally).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::panels::{self, PanelError, Scope};
use super::prometheus::{ActiveAlert, PromError, Prometheus};
use super::scraper::{Scraper, TargetStatus};
use crate::config::metrics::{MetricsSettings, MetricsSource, PanelSettings};
use crate::domain::series::Line;

/// Points per line at most: a range is cut into this many steps.
const MAX_POINTS: f64 = 240.0;

/// What one panel fetch gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PanelData {
    pub lines: Vec<Line>,
    /// Unix seconds of the newest point, if any.
    pub newest: Option<f64>,
    /// Trouble that did not stop the panel (a scrape URL failing).
    pub warning: Option<String>,
    /// A quantile panel's highest finite bucket bound: a quantile equal to
    /// it is only known to be at least that.
    pub top_bucket: Option<f64>,
}

enum Source {
    None,
    Prometheus(Prometheus),
    Scrape(Arc<Scraper>),
}

pub struct MetricsBackend {
    settings: MetricsSettings,
    source: Source,
    permits: Arc<Semaphore>,
}

/// Why a metrics source cannot be set up or answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    #[error("no metrics source is configured ([metrics] source)")]
    NoSource,
    /// The settings name no usable source (a key, what was expected,
    /// what was found).
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Prometheus(#[from] PromError),
    /// A panel cannot be computed from the scraped series.
    #[error(transparent)]
    Panel(#[from] PanelError),
    #[error("the metrics source is shutting down")]
    Closed,
}

impl MetricsBackend {
    /// Builds the source; the scraper's loop must be started with
    /// [`MetricsBackend::scraper`] on a runtime.
    pub fn new(
        settings: &MetricsSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<MetricsBackend, MetricsError> {
        let timeout = Duration::from_secs(settings.timeout.max(1));
        let source = match settings.source {
            MetricsSource::None => Source::None,
            MetricsSource::Prometheus => Source::Prometheus(Prometheus::new(&settings.prometheus, timeout, env)?),
            MetricsSource::Scrape => {
                if settings.scrape.urls.is_empty() {
                    return Err(MetricsError::Config(
                        "metrics.scrape.urls: expected at least one /metrics URL, found none".into(),
                    ));
                }
                let interval = Duration::from_secs(settings.refresh.max(1));
                let scraper = Scraper::new(&settings.scrape.urls, settings.scrape.samples, interval, timeout)
                    .map_err(|e| MetricsError::Config(e.to_string()))?;
                Source::Scrape(Arc::new(scraper))
            }
        };
        Ok(MetricsBackend {
            settings: settings.clone(),
            source,
            permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
        })
    }

    pub fn settings(&self) -> &MetricsSettings {
        &self.settings
    }

    /// The scraper, when the source is a direct scrape (its loop is the
    /// caller's to spawn).
    pub fn scraper(&self) -> Option<Arc<Scraper>> {
        match &self.source {
            Source::Scrape(scraper) => Some(scraper.clone()),
            _ => None,
        }
    }

    /// Where the data comes from, for the view's title.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::None => "no source".into(),
            Source::Prometheus(p) => format!("Prometheus {}", p.url()),
            Source::Scrape(_) => crate::text::count(self.settings.scrape.urls.len(), "scraped URL", "scraped URLs"),
        }
    }

    /// The lines of `panel` over the `range` seconds ending at `end`.
    pub async fn fetch(
        &self,
        panel: &PanelSettings,
        scope: &Scope,
        end: f64,
        range: f64,
    ) -> Result<PanelData, MetricsError> {
        let step = (range / MAX_POINTS).max(self.settings.refresh.max(1) as f64);
        let start = end - range;
        match &self.source {
            Source::None => Err(MetricsError::NoSource),
            Source::Prometheus(prometheus) => {
                let mut lines = Vec::new();
                for query in panels::promql(panel, &self.settings, scope) {
                    let _permit = self.permits.acquire().await.map_err(|_| MetricsError::Closed)?;
                    let series = prometheus.query_range(&query.promql, start, end, step).await?;
                    let series = series.into_iter().map(|s| {
                        let finite = s.points.into_iter().filter(|(_, v)| v.is_finite()).collect();
                        (s.labels, finite)
                    });
                    lines.extend(panels::lines_from(&self.settings, &query.stat, series));
                }
                let mut top_bucket = None;
                if let Some(bounds) = panels::bucket_bounds_promql(panel, &self.settings, scope) {
                    let _permit = self.permits.acquire().await.map_err(|_| MetricsError::Closed)?;
                    let samples = prometheus.query(&bounds, Some(end)).await?;
                    top_bucket = panels::finite_top(samples.into_iter().filter_map(|s| s.labels.get("le").cloned()));
                }
                // Prometheus answered for `end`: that is the data's age.
                Ok(PanelData {
                    lines,
                    newest: Some(end),
                    warning: None,
                    top_bucket,
                })
            }
            Source::Scrape(scraper) => {
                let (lines, top_bucket) = scraper
                    .with_ring(|ring| {
                        panels::evaluate(panel, &self.settings, scope, ring, (start, end, step))
                            .map(|lines| (lines, panels::top_bucket(panel, &self.settings, scope, ring)))
                    })
                    .map_err(MetricsError::Panel)?;
                let targets = scraper.targets();
                // The data is as old as the last good scrape.
                let newest = targets.iter().filter_map(|t| t.last_ok).reduce(f64::max);
                let failing: Vec<&TargetStatus> = targets.iter().filter(|t| t.error.is_some()).collect();
                let warning = failing.first().and_then(|t| t.error.as_ref()).map(|e| {
                    if failing.len() > 1 {
                        format!("{e} (and {} more URLs failing)", failing.len() - 1)
                    } else {
                        e.to_string()
                    }
                });
                Ok(PanelData {
                    lines,
                    newest,
                    warning,
                    top_bucket,
                })
            }
        }
    }

    /// Active alerts: Prometheus's own, or None when the source cannot say
    /// (scrape mode evaluates the rules itself, see the guard).
    pub async fn alerts(&self) -> Option<Result<Vec<ActiveAlert>, MetricsError>> {
        match &self.source {
            Source::Prometheus(p) => Some(p.alerts().await.map_err(MetricsError::from)),
            _ => None,
        }
    }
}
