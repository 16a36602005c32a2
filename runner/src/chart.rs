//! The chart of a run: wall time and CPU time per unit against the sweep's points, one series
//! per contender (and case), log scale, min-max bars, the points with more threads than cores
//! shaded, values within noise left out, the legend below the plots.

use crate::machine::Machine;
use crate::report::Row;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::Path;

type Error = Box<dyn std::error::Error>;

/// One drawn value: its core count, its x slot, min, median, max.
type Plotted = (Option<usize>, SegmentValue<usize>, f64, f64, f64);

/// Line colours, markers and dashes are combined so that no two series look alike.
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
];

/// One line: its label and its rows.
struct Series<'a> {
    label: String,
    rows: Vec<&'a Row>,
}

pub fn draw(
    path: &Path,
    title: &str,
    unit: &str,
    rows: &[Row],
    machine: &Machine,
) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // The x slots: the sweep's points in the order measured.
    let mut slots: Vec<(Option<usize>, usize)> = Vec::new();
    for r in rows {
        if !slots.contains(&(r.cores, r.threads)) {
            slots.push((r.cores, r.threads));
        }
    }
    let cases: Vec<&str> = {
        let mut c: Vec<&str> = rows.iter().map(|r| r.case.as_str()).collect();
        c.dedup();
        c.sort_unstable();
        c.dedup();
        c
    };
    let mut series: Vec<Series<'_>> = Vec::new();
    for r in rows {
        let label = if cases.len() > 1 {
            format!("{} ({})", r.contender, r.case)
        } else {
            r.contender.clone()
        };
        match series.iter_mut().find(|s| s.label == label) {
            Some(s) => s.rows.push(r),
            None => series.push(Series {
                label,
                rows: vec![r],
            }),
        }
    }
    let legend_rows = series.len().div_ceil(3) as u32;
    let root = SVGBackend::new(path, (1200, 44 + 540 + 22 * legend_rows + 20)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title_strip, rest) = root.split_vertically(44);
    let (top, bottom) = rest.split_vertically(540);
    let panels = top.split_evenly((1, 2));
    // The machine, as in every output: what ran where, how loaded.
    let commit = machine
        .git_commit
        .as_deref()
        .map_or(String::new(), |c| format!(" (git {c})"));
    let lines = [
        format!(
            "{title}: {}, {} logical CPUs; {}, kernel {}; {}",
            machine.cpu, machine.logical_cpus, machine.os, machine.kernel, machine.date
        ),
        format!(
            "syncpoint {}{commit}, {}; {}; load average {} before, {} after",
            machine.syncpoint,
            machine.rustc,
            machine.pinning,
            machine.load_before,
            machine.load_after
        ),
    ];
    for (i, line) in lines.iter().enumerate() {
        title_strip.draw(&Text::new(
            line.clone(),
            (10, 4 + 18 * i as i32),
            ("sans-serif", 14),
        ))?;
    }
    panel(&panels[0], "wall time", unit, &slots, &series, |r| {
        Some((r.wall.min, r.wall.median, r.wall.max, r.noise))
    })?;
    panel(
        &panels[1],
        "CPU time, all threads",
        unit,
        &slots,
        &series,
        |r| {
            r.cpu
                .as_ref()
                .map(|c| (c.min, c.median, c.max, r.cpu_noise))
        },
    )?;
    legend(&bottom, &series)?;
    root.present()?;
    Ok(())
}

fn style(i: usize) -> (RGBColor, bool) {
    (COLOURS[i % COLOURS.len()], (i / COLOURS.len()) % 2 == 1)
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    what: &str,
    unit: &str,
    slots: &[(Option<usize>, usize)],
    series: &[Series<'_>],
    value: impl Fn(&Row) -> Option<(f64, f64, f64, f64)>,
) -> Result<(), Error> {
    // Only values above their noise are drawn; a log scale has no place for the others.
    let shown = |r: &Row| value(r).filter(|&(_, median, _, noise)| median > noise && median > 0.0);
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.rows.iter().filter_map(|r| shown(r)))
        .flat_map(|(min, median, max, _)| [min, median, max])
        .filter(|v| *v > 0.0)
        .collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(0.0, f64::max);
    let (low, high) = if values.is_empty() {
        (1e-3, 1.0)
    } else {
        (low / 1.5, high.max(low * 10.0) * 1.5)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{what} (points within noise left out)"),
            ("sans-serif", 15),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (0..slots.len().saturating_sub(1)).into_segmented(),
            (low..high).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("threads/cores pinned (grey: more threads than cores)")
        .y_desc(unit)
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                slots.get(*i).map_or(String::new(), |&(c, t)| {
                    c.map_or(t.to_string(), |c| format!("{t}/{c}"))
                })
            }
            SegmentValue::Last => String::new(),
        })
        .draw()?;
    for (i, &(c, t)) in slots.iter().enumerate() {
        if (crate::cli::Point {
            cores: c,
            threads: t,
        })
        .oversubscribed()
        {
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (SegmentValue::Exact(i), low),
                    (SegmentValue::Exact(i + 1), high),
                ],
                RGBColor(0, 0, 0).mix(0.06).filled(),
            )))?;
        }
    }
    for (i, s) in series.iter().enumerate() {
        let (colour, dashed) = style(i);
        // (cores, x, min, median, max)
        let points: Vec<Plotted> = s
            .rows
            .iter()
            .filter_map(|r| {
                let x = slots.iter().position(|&p| p == (r.cores, r.threads))?;
                let (min, median, max, _) = shown(r)?;
                Some((
                    r.cores,
                    SegmentValue::CenterOf(x),
                    min.max(low),
                    median,
                    max,
                ))
            })
            .collect();
        // One line per core count: the sweep's points at k cores are joined, not across k.
        for group in points.chunk_by(|a, b| a.0 == b.0) {
            let line = group.iter().map(|p| (p.1.clone(), p.3));
            if dashed {
                chart.draw_series(DashedLineSeries::new(line, 8, 5, colour.stroke_width(2)))?;
            } else {
                chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?;
            }
        }
        let line: Vec<(SegmentValue<usize>, f64)> =
            points.iter().map(|p| (p.1.clone(), p.3)).collect();
        let points: Vec<_> = points.into_iter().map(|p| (p.1, p.2, p.3, p.4)).collect();
        chart.draw_series(points.iter().map(|p| {
            ErrorBar::new_vertical(p.0.clone(), p.1, p.2, p.3, colour.stroke_width(1), 6)
        }))?;
        // Markers: circle, triangle, square or cross, by series.
        match i % 4 {
            0 => chart.draw_series(line.into_iter().map(|p| Circle::new(p, 4, colour.filled())))?,
            1 => chart.draw_series(
                line.into_iter()
                    .map(|p| TriangleMarker::new(p, 5, colour.filled())),
            )?,
            2 => chart.draw_series(line.into_iter().map(|p| {
                EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], colour.filled())
            }))?,
            _ => chart.draw_series(
                line.into_iter()
                    .map(|p| Cross::new(p, 4, colour.stroke_width(2))),
            )?,
        };
    }
    Ok(())
}

fn legend(area: &DrawingArea<SVGBackend<'_>, Shift>, series: &[Series<'_>]) -> Result<(), Error> {
    for (i, s) in series.iter().enumerate() {
        let (colour, dashed) = style(i);
        let (x, y) = (20 + 390 * (i % 3) as i32, 10 + 22 * (i / 3) as i32);
        if dashed {
            area.draw(&DashedPathElement::new(
                vec![(x, y), (x + 36, y)],
                8,
                5,
                colour.stroke_width(2),
            ))?;
        } else {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 36, y)],
                colour.stroke_width(2),
            ))?;
        }
        let centre = (x + 18, y);
        match i % 4 {
            0 => area.draw(&Circle::new(centre, 4, colour.filled()))?,
            1 => area.draw(&TriangleMarker::new(centre, 5, colour.filled()))?,
            2 => area.draw(&Rectangle::new(
                [(centre.0 - 4, y - 4), (centre.0 + 4, y + 4)],
                colour.filled(),
            ))?,
            _ => area.draw(&Cross::new(centre, 4, colour.stroke_width(2)))?,
        }
        area.draw(&Text::new(
            s.label.clone(),
            (x + 44, y - 7),
            ("sans-serif", 14),
        ))?;
    }
    Ok(())
}
