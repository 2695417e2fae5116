//! Charts as images for incident notes and tickets: the same lines as the
//! console's chart (one per version, the panel's threshold), with a title,
//! a legend and labelled axes, as PNG or SVG. The font is built in, so no
//! system fonts are needed. Files are written whole or not at all.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::domain::series::Line;
use crate::domain::traffic::Track;

const FONT: &[u8] = include_bytes!("DejaVuSansMono.ttf");
const FAMILY: &str = "modeldeck-mono";

/// Line colours by track, as the console's default theme.
fn colour(track: &str, index: usize) -> RGBColor {
    match Track::of_label(track) {
        Some(Track::Stable) => RGBColor(34, 139, 34),
        Some(Track::Canary) => RGBColor(204, 153, 0),
        Some(Track::Shadow) => RGBColor(170, 0, 170),
        None => {
            let (r, g, b) = Palette99::pick(index).to_rgba().rgb();
            RGBColor(r, g, b)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// From the output file's extension; the error says what was expected
    /// and what was found.
    pub fn of(path: &Path) -> Result<Format, String> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            other => Err(format!(
                "expected a file ending in .png or .svg, found {}",
                other.map_or("no extension".to_owned(), |e| format!(".{e}"))
            )),
        }
    }
}

pub struct Plot<'a> {
    pub title: String,
    /// Says where the data came from and when, under the title.
    pub subtitle: String,
    pub unit: &'a str,
    pub lines: &'a [Line],
    pub start: f64,
    pub end: f64,
    pub threshold: Option<f64>,
}

pub const SIZE: (u32, u32) = (1200, 600);

impl Plot<'_> {
    /// Writes the chart to `path` (PNG or SVG by its extension).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let format = Format::of(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // A name the renderer recognises, beside the target, renamed into
        // place when complete.
        let partial = partial_name(path, format);
        let drawn = match format {
            Format::Png => {
                let backend = BitMapBackend::new(&partial, SIZE);
                self.draw(backend.into_drawing_area())
            }
            Format::Svg => self.svg().and_then(|svg| {
                std::fs::write(&partial, svg).map_err(|e| format!("cannot write {}: {e}", partial.display()))
            }),
        };
        if let Err(e) = drawn {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, path).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            format!("cannot write {}: {e}", path.display())
        })
    }

    /// The chart as SVG text.
    pub fn svg(&self) -> Result<String, String> {
        let mut svg = String::new();
        self.draw(SVGBackend::with_string(&mut svg, SIZE).into_drawing_area())?;
        Ok(svg)
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, plotters::coord::Shift>) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        // Registering twice replaces the same bytes: harmless.
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| "the built-in font cannot be read".to_owned())?;
        let fail = |e: &dyn std::fmt::Display| format!("cannot draw the chart: {e}");
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let (low, high) = bounds(self.lines, self.threshold);
        let title = (FAMILY, 24).into_font();
        let root = root.titled(&self.title, title).map_err(|e| fail(&e))?;
        let (top, body) = root.split_vertically(24);
        top.draw_text(
            &self.subtitle,
            &(FAMILY, 14).into_font().color(&RGBColor(90, 90, 90)),
            (60, 4),
        )
        .map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(90)
            .build_cartesian_2d(self.start..self.end, low..high)
            .map_err(|e| fail(&e))?;
        let unit = self.unit.to_owned();
        let axis = AxisUnit::of(&unit, low, high);
        chart
            .configure_mesh()
            .x_desc("time (UTC)")
            .y_desc(axis.label.clone())
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16))
            // No more labels than seconds: ticks closer than a second would
            // read as the same time twice.
            .x_labels(((self.end - self.start).floor() as usize).clamp(2, 8))
            .y_labels(Y_TICKS)
            .x_label_formatter(&|t| clock(*t))
            .y_label_formatter(&|v| axis.tick(*v))
            .draw()
            .map_err(|e| fail(&e))?;
        let mut used: Vec<RGBColor> = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            // Two versions on one track (a canary replaced) get two colours.
            let mut c = colour(&line.track, i);
            let mut pick = i;
            while used.contains(&c) {
                pick += 1;
                let (r, g, b) = Palette99::pick(pick).to_rgba().rgb();
                c = RGBColor(r, g, b);
            }
            used.push(c);
            let label = format!("{} {}", line.version, line.track).trim_end().to_owned();
            let label = if Track::of_label(&line.track) == Some(Track::Shadow) {
                format!("{label} (serves no answers)")
            } else {
                label
            };
            // No straight line across a stretch without data.
            for (run, points) in crate::domain::series::segments(&line.points, 2.5)
                .into_iter()
                .enumerate()
            {
                let series = chart
                    .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
                    .map_err(|e| fail(&e))?;
                if run == 0 {
                    series
                        .label(label.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3)));
                }
            }
        }
        if let Some(t) = self.threshold {
            let red = RGBColor(200, 30, 30);
            chart
                .draw_series(DashedLineSeries::new(
                    [(self.start, t), (self.end, t)],
                    8,
                    6,
                    red.stroke_width(1),
                ))
                .map_err(|e| fail(&e))?
                .label(format!("threshold {}", crate::text::format_value(t, &unit)))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(1)));
        }
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))
    }
}

const Y_TICKS: usize = 8;

/// The y axis's unit, chosen once for the whole axis, so every tick is a
/// plain number in the unit the axis label names (latency under a second:
/// ticks in ms, labelled "ms").
struct AxisUnit {
    label: String,
    /// Data values times this are the tick numbers.
    scale: f64,
    /// Decimals that tell neighbouring ticks apart.
    decimals: usize,
}

impl AxisUnit {
    fn of(unit: &str, low: f64, high: f64) -> AxisUnit {
        let (label, scale) = match unit {
            "s" if low.abs().max(high.abs()) < 1.0 => ("ms", 1000.0),
            "s" => ("s", 1.0),
            "ratio" => ("%", 100.0),
            "" => ("value", 1.0),
            other => (other, 1.0),
        };
        let label = label.to_owned();
        let step = ((high - low) * scale / Y_TICKS as f64).abs();
        let decimals = if step >= 1.0 || step <= 0.0 {
            0
        } else {
            (-step.log10()).ceil().clamp(0.0, 6.0) as usize
        };
        AxisUnit { label, scale, decimals }
    }

    fn tick(&self, value: f64) -> String {
        format!("{:.*}", self.decimals, value * self.scale)
    }
}

fn partial_name(path: &Path, format: Format) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = match format {
        Format::Png => "png",
        Format::Svg => "svg",
    };
    path.with_file_name(format!(".{name}.partial.{ext}"))
}

fn bounds(lines: &[Line], threshold: Option<f64>) -> (f64, f64) {
    let values = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).chain(threshold);
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let low = if low > 0.0 && low < high * 0.5 { 0.0 } else { low };
    let pad = ((high - low) * 0.1).max(high.abs() * 0.05).max(1e-9);
    (
        (low - pad).max(if low >= 0.0 { 0.0 } else { f64::NEG_INFINITY }),
        high + pad,
    )
}

/// "14:05:30" for a Unix time.
fn clock(t: f64) -> String {
    jiff::Timestamp::from_millisecond((t * 1000.0) as i64)
        .map(|ts| ts.strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words drawn in an SVG, in order.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")))
            .map(|(text, _)| text.trim().to_owned())
            .collect()
    }

    fn latency(points: Vec<(f64, f64)>) -> Vec<String> {
        let start = points.first().map_or(0.0, |p| p.0);
        let end = points.last().map_or(60.0, |p| p.0);
        let lines = vec![Line {
            version: "2.0.5".into(),
            track: "stable".into(),
            stat: "p95".into(),
            points,
        }];
        let plot = Plot {
            title: "Latency p95".into(),
            subtitle: String::new(),
            unit: "s",
            lines: &lines,
            start,
            end,
            threshold: Some(0.5),
        };
        texts(&plot.svg().unwrap())
    }

    #[test]
    fn a_few_seconds_of_data_never_show_one_time_twice() {
        // What `plot --collect 4s` gathers: about four seconds, not on
        // whole seconds.
        let drawn = latency(vec![(1000.37, 0.1), (1002.4, 0.2), (1004.27, 0.3)]);
        let times: Vec<&String> = drawn
            .iter()
            .filter(|t| t.len() == 8 && t.as_bytes()[2] == b':')
            .collect();
        let mut distinct = times.clone();
        distinct.dedup();
        assert!(times.len() >= 2 && distinct.len() == times.len(), "{times:?}");
    }

    #[test]
    fn the_y_axis_names_the_unit_its_ticks_are_in() {
        let drawn = latency(vec![(0.0, 0.05), (30.0, 0.2), (60.0, 0.3)]);
        assert!(drawn.iter().any(|t| t == "ms"), "no ms axis label in {drawn:?}");
        assert!(
            !drawn.iter().any(|t| t == "s"),
            "an s axis label over ms ticks: {drawn:?}"
        );
        let ticks: Vec<f64> = drawn.iter().filter_map(|t| t.parse().ok()).collect();
        assert!(ticks.len() >= 4 && ticks.contains(&500.0), "ticks in ms: {drawn:?}");

        let drawn = latency(vec![(0.0, 0.4), (60.0, 2.0)]);
        assert!(drawn.iter().any(|t| t == "s"), "no s axis label in {drawn:?}");
        assert!(
            !drawn.iter().any(|t| t.ends_with(" ms") && !t.starts_with("threshold")),
            "ms ticks under an s label: {drawn:?}"
        );
    }
}
