//! The four figures, as SVG (plotters' SVG backend writes text as `<text>`
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

/// How to draw a figure's axes.
struct Chart<'a> {
    caption: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
    x_range: (f64, f64),
    x_log: bool,
    y_log: bool,
    x_fmt: &'a dyn Fn(&f64) -> String,
    y_fmt: &'a dyn Fn(&f64) -> String,
    /// The legend in the lower left corner, else the upper left.
    legend_low: bool,
}

fn color(name: &str) -> RGBColor {
    match name {
        "arcow::PagedCowVec" | "arcow::CowCell" | "arcow::CowMap" => RGBColor(214, 39, 40),
        "arcow::CowVec" => RGBColor(255, 127, 14),
        "Vec" | "arc_swap::ArcSwap" | "std::HashMap" => RGBColor(31, 119, 180),
        "imbl::Vector" | "std::RwLock" | "imbl::HashMap" => RGBColor(44, 160, 44),
        "parking_lot::RwLock" => RGBColor(148, 103, 189),
        "std::Mutex" => RGBColor(140, 86, 75),
        _ => RGBColor(90, 90, 90),
    }
}

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("plot: {e}")
}

/// `(min, max)` of the positive values.
fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (lo <= hi).then_some((lo, hi))
}

/// An axis label without trailing zeros: `10 ms`, `1 µs`, `2.5 M`.
fn trim(label: String) -> String {
    match label.split_once(' ') {
        Some((num, unit)) if num.contains('.') => {
            let num = num.trim_end_matches('0').trim_end_matches('.');
            format!("{num} {unit}")
        }
        _ => label,
    }
}

/// Draws `lines` (with a dot at each point) and a legend.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart,
    lines: &[Line],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (y_lo, y_hi) =
        span(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))).unwrap_or((1.0, 10.0));
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(spec.caption, (FONT, 20))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(84);
    let (x_lo, x_hi) = spec.x_range;
    // The same drawing on each kind of coordinates plotters has a type for.
    macro_rules! plot {
        ($chart:expr, $x_labels:expr) => {{
            let mut chart = $chart.map_err(err)?;
            chart
                .configure_mesh()
                .x_labels($x_labels)
                .y_labels(8)
                .x_desc(spec.x_desc)
                .y_desc(spec.y_desc)
                .x_label_formatter(spec.x_fmt)
                .y_label_formatter(spec.y_fmt)
                .label_style((FONT, 14))
                .light_line_style(WHITE)
                .draw()
                .map_err(err)?;
            for line in lines {
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
                .position(if spec.legend_low {
                    SeriesLabelPosition::LowerLeft
                } else {
                    SeriesLabelPosition::UpperLeft
                })
                .label_font((FONT, 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(err)?;
        }};
    }
    let x_ticks = ((x_hi - x_lo).round() as usize + 1).max(2);
    match (spec.x_log, spec.y_log) {
        (true, _) => plot!(
            builder.build_cartesian_2d(
                (x_lo..x_hi).log_scale(),
                (y_lo / 1.6..y_hi * 1.6).log_scale()
            ),
            10
        ),
        (false, true) => plot!(
            builder.build_cartesian_2d(x_lo..x_hi, (y_lo / 1.6..y_hi * 1.6).log_scale()),
            x_ticks
        ),
        (false, false) => plot!(
            builder.build_cartesian_2d(x_lo..x_hi, 0.0..y_hi * 1.15),
            x_ticks
        ),
    }
    root.present().map_err(err)
}

fn svg(spec: &Chart, lines: &[Line]) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&root, spec, lines)?;
    }
    Ok(text)
}

/// Labels for whole numbers only (categories, counts).
fn whole(x: &f64, name: &dyn Fn(usize) -> Option<String>) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 {
        name(i as usize).unwrap_or_default()
    } else {
        String::new()
    }
}

/// The `first_write` lines of `bench` for `names` (x = elements, y = ns);
/// `deep` is the type whose first write is a clone + write.
fn sweep_lines(r: &Results, bench: &str, names: &[&str], deep: &str) -> Vec<Line> {
    let entries = r.bench(bench);
    let mut out = Vec::new();
    for &name in names {
        let mut points: Vec<(f64, f64)> = entries
            .iter()
            .filter(|e| e.group == "first_write" && e.function == name)
            .filter_map(|e| Some((value_size(e.value.as_deref()?)?, e.median_ns)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !points.is_empty() {
            let label = if name == deep {
                format!("{name} (clone + write)")
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

/// Figure 1 data: `first_write` of benches/paged.rs, x = elements, y = ns.
pub fn first_write_lines(r: &Results) -> Vec<Line> {
    sweep_lines(
        r,
        "paged",
        &["Vec", "arcow::CowVec", "arcow::PagedCowVec", "imbl::Vector"],
        "Vec",
    )
}

/// Figure 4 data: `first_write` of benches/map.rs, x = entries, y = ns.
pub fn map_first_write_lines(r: &Results) -> Vec<Line> {
    sweep_lines(
        r,
        "map",
        &["std::HashMap", "arcow::CowMap", "imbl::HashMap"],
        "std::HashMap",
    )
}

/// A log-log sweep of first-write time by size.
fn size_sweep_svg(lines: &[Line], caption: &str, x_desc: &str) -> Result<String, String> {
    let (lo, hi) =
        span(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0))).unwrap_or((1e3, 1e7));
    let count = |x: &f64| {
        let e = x.log10().round();
        match e as i32 {
            _ if (x.log10() - e).abs() > 0.01 => String::new(),
            3 => "1k".into(),
            4 => "10k".into(),
            5 => "100k".into(),
            6 => "1M".into(),
            7 => "10M".into(),
            _ => format!("1e{e}"),
        }
    };
    let spec = Chart {
        caption,
        x_desc,
        y_desc: "time of the first write",
        x_range: (lo / 1.3, hi * 1.3),
        x_log: true,
        y_log: true,
        x_fmt: &count,
        y_fmt: &|y| trim(fmt_time(*y)),
        legend_low: false,
    };
    svg(&spec, lines)
}

/// Figure 1: the first write after a snapshot by vector length (log-log).
pub fn first_write_svg(lines: &[Line]) -> Result<String, String> {
    size_sweep_svg(
        lines,
        "First write after a snapshot (u64 elements)",
        "elements",
    )
}

/// Figure 4: clone + overwrite one key + drop the clone, by map size (log-log).
pub fn map_first_write_svg(lines: &[Line]) -> Result<String, String> {
    size_sweep_svg(
        lines,
        "First write after a snapshot (u64 -> u64 maps)",
        "entries",
    )
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
    let lines: Vec<Line> = CELL_TYPES[..4]
        .iter()
        .filter_map(|name| {
            let case = w.cases.iter().find(|c| c.name == *name)?;
            let points = LATENCY_POINTS
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, case.latency(p)))
                .filter(|p| p.1.is_finite() && p.1 > 0.0)
                .collect();
            Some(Line {
                label: short(name).to_string(),
                color: color(name),
                points,
            })
        })
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let spec = Chart {
        caption: "Reader latency under a ~10 µs writer (rebuild)",
        x_desc: "percentile of reads",
        y_desc: "latency of one read",
        x_range: (-0.3, LATENCY_POINTS.len() as f64 - 0.7),
        x_log: false,
        y_log: true,
        x_fmt: &|x| whole(x, &|i| LATENCY_POINTS.get(i).map(|s| s.to_string())),
        y_fmt: &|y| trim(fmt_time(*y)),
        legend_low: false,
    };
    svg(&spec, &lines).map(Some)
}

/// Figure 3: total reader throughput by reader threads, no writer.
pub fn sweep_svg(c: &Contention) -> Result<Option<String>, String> {
    let Some(s) = &c.sweep else {
        return Ok(None);
    };
    let lines: Vec<Line> = CELL_TYPES
        .iter()
        .filter_map(|name| {
            let (_, reads) = s.cases.iter().find(|(n, _)| n == name)?;
            let points = s
                .threads
                .iter()
                .zip(reads)
                .map(|(&n, &r)| (n as f64, r))
                .collect();
            Some(Line {
                label: short(name).to_string(),
                color: color(name),
                points,
            })
        })
        .collect();
    let max = s.threads.iter().copied().max().unwrap_or(0);
    if lines.is_empty() || max == 0 {
        return Ok(None);
    }
    let spec = Chart {
        caption: "Readers from 1 to the core count, no writer",
        x_desc: "reader threads",
        y_desc: "reads per second, all readers",
        x_range: (0.7, max as f64 + 0.3),
        x_log: false,
        y_log: false,
        x_fmt: &|x| whole(x, &|i| (i >= 1).then(|| i.to_string())),
        y_fmt: &|y| trim(fmt_rate(*y)),
        legend_low: true,
    };
    svg(&spec, &lines).map(Some)
}
