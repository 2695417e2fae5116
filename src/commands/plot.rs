//! `modeldeck plot PANEL --range 1h --out FILE.png|svg`: a panel's chart
//! as an image, from the configured metrics source. Prometheus has the
//! history; a direct scrape has none, so the command scrapes for
//! `--collect` first and draws what it gathered.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::backends::metrics::MetricsBackend;
use crate::backends::panels::Scope;
use crate::backends::scraper::unix_now;
use crate::cli::Span;
use crate::config::Settings;
use crate::config::metrics::{MetricsSource, PanelKind};
use crate::domain::series::quantile_stat;
use crate::plot::{Format, Plot};

pub struct PlotRequest {
    pub panel: String,
    pub stat: Option<String>,
    pub range: Span,
    pub out: PathBuf,
    pub namespace: String,
    pub deployment: String,
    pub collect: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlotError {
    /// The command line asks for what does not exist (a panel, a stat):
    /// exit 2, as clap's own usage errors.
    Usage(String),
    /// No data, no source, an unwritable file: exit 1.
    Failed(String),
}

impl From<crate::backends::metrics::MetricsError> for PlotError {
    fn from(error: crate::backends::metrics::MetricsError) -> PlotError {
        PlotError::Failed(error.to_string())
    }
}

impl From<String> for PlotError {
    fn from(message: String) -> PlotError {
        PlotError::Failed(message)
    }
}

/// Draws the chart and says what was written; `note` gets what the
/// operator should know while waiting (on stderr).
pub async fn plot(
    settings: &Settings,
    request: &PlotRequest,
    env: &dyn Fn(&str) -> Option<String>,
    note: &mut dyn FnMut(&str),
) -> Result<String, PlotError> {
    Format::of(&request.out).map_err(|e| PlotError::Usage(format!("--out {}: {e}", request.out.display())))?;
    let metrics = &settings.metrics;
    let Some(panel) = metrics.panels.iter().find(|p| p.name == request.panel) else {
        let names: Vec<&str> = metrics.panels.iter().map(|p| p.name.as_str()).collect();
        return Err(PlotError::Usage(format!(
            "no panel named {:?}; panels: {}",
            request.panel,
            names.join(", ")
        )));
    };
    let stats: Vec<String> = match panel.kind {
        PanelKind::Quantile => panel.quantiles.iter().map(|q| quantile_stat(*q)).collect(),
        _ => vec![String::new()],
    };
    let stat = match &request.stat {
        Some(s) if stats.contains(s) => s.clone(),
        Some(s) => {
            return Err(PlotError::Usage(format!(
                "--stat: panel {} has {}, not {s:?}",
                panel.name,
                stats.join(", ")
            )));
        }
        None if stats.iter().any(|s| s == "p95") => "p95".into(),
        None => stats.first().cloned().unwrap_or_default(),
    };
    let range = request.range.seconds;
    let backend = MetricsBackend::new(metrics, env)?;
    let mut range_label = request.range.text.clone();
    let range = match backend.scraper() {
        Some(scraper) => {
            // Enough scrapes for a rate: at least three, one per refresh,
            // spanning at least --collect.
            let interval = Duration::from_secs(metrics.refresh.max(1));
            let gaps = ((request.collect.seconds / interval.as_secs_f64()).ceil() as usize).max(2);
            let span = interval.as_secs_f64() * gaps as f64;
            note(&format!(
                "collecting for {} from {} before drawing (source = \"scrape\" keeps no history; --collect sets how long)",
                crate::text::human_age(span as i64),
                crate::text::count(scraper.targets().len(), "scrape target", "scrape targets"),
            ));
            let started = Instant::now();
            for gap in 0..=gaps {
                if gap > 0 {
                    tokio::time::sleep(interval).await;
                }
                scraper.scrape_once().await;
            }
            let targets = scraper.targets();
            if let Some(error) = targets.iter().find_map(|t| t.error.clone())
                && targets.iter().all(|t| t.last_ok.is_none())
            {
                return Err(PlotError::Failed(format!("no data: {error}")));
            }
            let gathered = started.elapsed().as_secs_f64();
            if gathered < range {
                range_label = format!("the {} scraped", crate::text::human_age(gathered.round() as i64));
            }
            range.min(gathered)
        }
        None if metrics.source == MetricsSource::None => {
            return Err(PlotError::Failed(
                "no metrics source is configured: set [metrics] source (see modeldeck info)".into(),
            ));
        }
        None => range,
    };
    let scope = Scope {
        namespace: request.namespace.clone(),
        deployment: request.deployment.clone(),
    };
    let end = unix_now();
    let data = backend.fetch(panel, &scope, end, range).await?;
    let lines: Vec<_> = data.lines.into_iter().filter(|l| l.stat == stat).collect();
    if lines.is_empty() {
        return Err(PlotError::Failed(format!(
            "panel {} has no series for namespace {:?} in {range_label}; nothing to draw",
            panel.name, scope.namespace
        )));
    }
    let title = format!("{} {stat}", panel.title).trim_end().to_owned();
    let stamp = jiff::Timestamp::from_millisecond((end * 1000.0) as i64)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
    let subtitle = format!(
        "{} · namespace {} · {} · until {stamp}",
        panel.name,
        scope.namespace,
        backend.describe()
    );
    Plot {
        title,
        subtitle,
        unit: &panel.unit,
        lines: &lines,
        start: end - range,
        end,
        threshold: panel.threshold,
    }
    .write(&request.out)?;
    Ok(format!(
        "wrote {} ({}, {} over {})\n",
        request.out.display(),
        crate::text::count(lines.len(), "version", "versions"),
        panel.name,
        range_label
    ))
}
