//! The A/B table of the Metrics view, computed from the panels' lines
//! when they arrive or the pair changes, so drawing only reads it.

use super::metrics::{MetricsState, PanelView};
use crate::config::metrics::{PanelKind, duration_seconds};
use crate::domain::ab::{self, AbRow, AbTable};

impl MetricsState {
    /// Recomputes the A/B table when the comparison is shown (else drops
    /// it): call after new lines, a new pair or a new scope.
    pub fn refresh_ab(&mut self) {
        self.ab = if self.compare { self.ab_table() } else { None };
    }

    fn ab_table(&self) -> Option<AbTable> {
        let ((a, a_track), (b, b_track)) = self.ab_pair()?;
        // Requests served over the span with data, for the proportion tests.
        let served = |series: (&str, &str)| -> Option<f64> {
            let rate = self.panels.iter().find(|p| p.settings.kind == PanelKind::Rate)?;
            let points = &rate.line(series, "")?.points;
            let span = points.last()?.0 - points.first()?.0 + window_seconds(rate);
            let values: Vec<f64> = points.iter().map(|p| p.1).collect();
            ab::mean(&values).map(|r| r * span)
        };
        let (sa, sb) = ((a.as_str(), a_track.as_str()), (b.as_str(), b_track.as_str()));
        let counts = served(sa).zip(served(sb));
        let rows = self
            .rows()
            .into_iter()
            .map(|(i, stat)| {
                let p = &self.panels[i];
                let values = |series: (&str, &str)| -> Vec<f64> {
                    p.line(series, &stat)
                        .map(|l| ab::independent(&l.points, window_seconds(p)))
                        .unwrap_or_default()
                };
                let proportion = matches!(p.settings.kind, PanelKind::Ratio)
                    || (p.settings.kind == PanelKind::Gauge && p.settings.unit.is_empty());
                AbRow {
                    name: format!("{} {stat}", crate::text::clean(&p.settings.title))
                        .trim_end()
                        .to_owned(),
                    unit: p.settings.unit.clone(),
                    comparison: ab::compare(&values(sa), &values(sb), proportion, counts),
                    follows_weight: p.settings.kind == PanelKind::Rate,
                }
            })
            .collect();
        Some(AbTable {
            a: (a, a_track),
            b: (b, b_track),
            rows,
        })
    }
}

fn window_seconds(panel: &PanelView) -> f64 {
    duration_seconds(panel.settings.window()).unwrap_or(60.0)
}
