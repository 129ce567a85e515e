//! The three figures, as SVG (plotters' SVG backend writes text as `<text>`
//! elements, so no font files are needed).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{Contention, Results};
use crate::render::{fmt_rate, fmt_time, short, value_size};

const SIZE: (u32, u32) = (820, 500);
const FONT: &str = "sans-serif";

/// A named line: `(x, y)` points in order of x.
pub struct Line {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

fn color(name: &str) -> RGBColor {
    match name {
        "arcow::PagedCowVec" => RGBColor(214, 39, 40),
        "arcow::CowVec" => RGBColor(255, 127, 14),
        "arcow::CowCell" => RGBColor(214, 39, 40),
        "Vec" => RGBColor(31, 119, 180),
        "imbl::Vector" => RGBColor(44, 160, 44),
        "ecow::EcoVec" => RGBColor(148, 103, 189),
        "arc_swap::ArcSwap" => RGBColor(31, 119, 180),
        "std::RwLock" => RGBColor(44, 160, 44),
        "parking_lot::RwLock" => RGBColor(148, 103, 189),
        "std::Mutex" => RGBColor(140, 86, 75),
        _ => RGBColor(90, 90, 90),
    }
}

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("plot: {e}")
}

/// `(min, max)` of the values, widened by `pad` (a factor, for log axes).
fn span(values: impl Iterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (lo <= hi).then_some((lo / pad, hi * pad))
}

/// Figure 1 data: `first_write` of benches/paged.rs, x = elements, y = ns.
pub fn first_write_lines(r: &Results) -> Vec<Line> {
    let entries = r.bench("paged");
    let mut out = Vec::new();
    for name in [
        "Vec",
        "arcow::CowVec",
        "arcow::PagedCowVec",
        "imbl::Vector",
        "ecow::EcoVec",
    ] {
        let mut points: Vec<(f64, f64)> = entries
            .iter()
            .filter(|e| e.group == "first_write" && e.function == name)
            .filter_map(|e| Some((value_size(e.value.as_deref()?)?, e.median_ns)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !points.is_empty() {
            let label = if name == "Vec" {
                "Vec (clone + write)".to_string()
            } else {
                short(name).to_string()
            };
            out.push(Line {
                label,
                color: color(name),
                points,
            });
        }
    }
    out
}

/// Draws lines with points and a legend on a log-log or lin-log chart.
#[allow(clippy::too_many_arguments)]
fn lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    caption: &str,
    series: &[Line],
    x: (f64, f64, bool),
    x_desc: &str,
    y_desc: &str,
    x_fmt: &dyn Fn(&f64) -> String,
    y_fmt: &dyn Fn(&f64) -> String,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (y_lo, y_hi) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        1.6,
    )
    .unwrap_or((1.0, 10.0));
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(caption, (FONT, 20))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(84);
    let y_range = (y_lo..y_hi).log_scale();
    // A log x axis (sizes) or a linear one (categories, thread counts).
    macro_rules! draw {
        ($chart:expr, $xlabels:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_labels($xlabels)
                .y_labels(8)
                .x_desc(x_desc)
                .y_desc(y_desc)
                .x_label_formatter(x_fmt)
                .y_label_formatter(y_fmt)
                .label_style((FONT, 14))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(err)?;
            for line in series {
                let c = line.color;
                chart
                    .draw_series(LineSeries::new(
                        line.points.iter().copied(),
                        c.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(line.label.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(2))
                    });
                chart
                    .draw_series(line.points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(err)?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font((FONT, 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(err)?;
        }};
    }
    if x.2 {
        let chart = builder
            .build_cartesian_2d((x.0..x.1).log_scale(), y_range)
            .map_err(err)?;
        draw!(chart, 10);
    } else {
        let chart = builder.build_cartesian_2d(x.0..x.1, y_range).map_err(err)?;
        draw!(chart, ((x.1 - x.0).round() as usize + 1).max(2));
    }
    root.present().map_err(err)
}

fn svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&root)?;
    }
    Ok(text)
}

fn count(x: f64) -> String {
    let e = x.log10().round();
    if (x.log10() - e).abs() < 0.01 {
        match e as i32 {
            3 => "1k".into(),
            4 => "10k".into(),
            5 => "100k".into(),
            6 => "1M".into(),
            7 => "10M".into(),
            _ => format!("1e{e}"),
        }
    } else {
        String::new()
    }
}

/// Figure 1: the first write after a snapshot by vector length (log-log).
pub fn first_write_svg(series: &[Line]) -> Result<String, String> {
    let (lo, hi) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        1.3,
    )
    .unwrap_or((1e3, 1e7));
    svg(|root| {
        lines(
            root,
            "First write after a snapshot (u64 elements)",
            series,
            (lo, hi, true),
            "elements",
            "time of the first write",
            &|x| count(*x),
            &|y| fmt_time(*y),
        )
    })
}

/// The percentiles figure 2 plots, in order along its x axis.
const LATENCY_POINTS: [&str; 6] = ["p50", "p90", "p99", "p99.9", "p99.99", "max"];

/// The types figures 2 and 3 show.
const CELL_TYPES: [&str; 5] = [
    "arcow::CowCell",
    "arc_swap::ArcSwap",
    "std::RwLock",
    "parking_lot::RwLock",
    "std::Mutex",
];

/// Figure 2: reader latency percentiles under the `rebuild` writer.
pub fn latency_svg(c: &Contention) -> Result<Option<String>, String> {
    let Some(w) = c.writers.iter().find(|w| w.name == "rebuild") else {
        return Ok(None);
    };
    let mut series = Vec::new();
    for name in &CELL_TYPES[..4] {
        if let Some(case) = w.cases.iter().find(|c| c.name == *name) {
            let points = LATENCY_POINTS
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, case.latency(p)))
                .filter(|p| p.1.is_finite() && p.1 > 0.0)
                .collect();
            series.push(Line {
                label: short(name).to_string(),
                color: color(name),
                points,
            });
        }
    }
    if series.is_empty() {
        return Ok(None);
    }
    let x_fmt = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            LATENCY_POINTS
                .get(i as usize)
                .map_or(String::new(), |s| s.to_string())
        } else {
            String::new()
        }
    };
    svg(|root| {
        lines(
            root,
            "Reader latency under a ~10 µs writer (rebuild)",
            &series,
            (-0.3, LATENCY_POINTS.len() as f64 - 0.7, false),
            "percentile of reads",
            "latency of one read",
            &x_fmt,
            &|y| fmt_time(*y),
        )
    })
    .map(Some)
}

/// Figure 3: total reader throughput by reader threads, no writer.
pub fn sweep_svg(c: &Contention) -> Result<Option<String>, String> {
    let Some(s) = &c.sweep else {
        return Ok(None);
    };
    let mut series = Vec::new();
    for name in CELL_TYPES {
        if let Some((_, reads)) = s.cases.iter().find(|(n, _)| n == name) {
            let points = s
                .threads
                .iter()
                .zip(reads)
                .map(|(&n, &r)| (n as f64, r))
                .collect();
            series.push(Line {
                label: short(name).to_string(),
                color: color(name),
                points,
            });
        }
    }
    let max = s.threads.iter().copied().max().unwrap_or(0);
    if series.is_empty() || max == 0 {
        return Ok(None);
    }
    let x_fmt = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 1.0 {
            format!("{i:.0}")
        } else {
            String::new()
        }
    };
    svg(|root| {
        lines(
            root,
            "Readers from 1 to the core count, no writer",
            &series,
            (0.7, max as f64 + 0.3, false),
            "reader threads",
            "reads per second, all readers",
            &x_fmt,
            &|y| fmt_rate(*y),
        )
    })
    .map(Some)
}
