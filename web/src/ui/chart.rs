//! Charts drawn as inline SVG on the server.
//!
//! Why not a chart library in the browser: regions run air-gapped, so a library would have to
//! ship in the binary and be kept current; it would need script, which the pages otherwise
//! work without; and its output could only be tested in a browser. A bar chart is a few
//! rectangles: drawn here, it arrives with the page, prints, scales with the page (a
//! `viewBox`, labels above the bars so that it reads on a 375 px phone), is checked by the
//! HTTP tests like any other HTML, and its numbers are also in a table beside it for screen
//! readers and for copying.

use std::fmt::Write;

/// One bar: its label, its length's value and the value as the page writes it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

const WIDTH: f64 = 480.0;
const ROW: f64 = 46.0;
const BAR_HEIGHT: f64 = 18.0;
/// Room for the value after the longest bar.
const VALUE_ROOM: f64 = 90.0;

/// A horizontal bar chart titled `title`; `id` makes its title's id unique on the page.
pub fn bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let height = ROW * bars.len() as f64 + 8.0;
    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-title\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-title\">{}</title>",
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i as f64 * ROW;
        let length = if max > 0.0 {
            (bar.value / max * (WIDTH - VALUE_ROOM)).max(2.0)
        } else {
            2.0
        };
        let _ = write!(
            svg,
            "<g class=\"chart__bar\"><text x=\"0\" y=\"{:.1}\" class=\"chart__label\">{}</text>\
             <rect x=\"0\" y=\"{:.1}\" width=\"{length:.1}\" height=\"{BAR_HEIGHT}\" rx=\"2\"></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"chart__value\">{}</text></g>",
            y + 16.0,
            escape(&bar.label),
            y + 22.0,
            length + 6.0,
            y + 36.0,
            escape(&bar.shown),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One column of a chart over time: its label under it, its height's value (none: no data
/// that week, drawn as a dash) and the value as the page writes it.
#[derive(Debug, Clone)]
pub struct Column {
    pub label: String,
    pub value: Option<f64>,
    pub shown: String,
}

/// A moment marked on a chart over time: a dashed line at `at`, in columns from the left
/// edge (`2.5` is the middle of the third column's span), with its label.
#[derive(Debug, Clone)]
pub struct Marker {
    pub at: f64,
    pub label: String,
}

const COLUMNS_HEIGHT: f64 = 220.0;
/// Room above the columns for the marker's label and the values.
const COLUMNS_TOP: f64 = 40.0;
/// Room below for the labels.
const COLUMNS_BOTTOM: f64 = 24.0;

/// A vertical column chart over time (weeks), values above the columns and labels under
/// them; `marker` draws when something changed (an algorithm was enabled).
pub fn columns(id: &str, title: &str, columns: &[Column], marker: Option<&Marker>) -> String {
    let max = columns
        .iter()
        .filter_map(|c| c.value)
        .fold(0.0_f64, f64::max);
    let n = columns.len().max(1) as f64;
    let step = WIDTH / n;
    let bar = (step * 0.7).min(48.0);
    let plot = COLUMNS_HEIGHT - COLUMNS_TOP - COLUMNS_BOTTOM;
    let base = COLUMNS_HEIGHT - COLUMNS_BOTTOM;
    // Labels thin out when the columns are narrow, so that they never overlap.
    let every = (38.0 / step).ceil().max(1.0) as usize;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart chart--columns\" role=\"img\" aria-labelledby=\"{id}-title\" \
         viewBox=\"0 0 {WIDTH} {COLUMNS_HEIGHT}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{}</title>\
         <line class=\"chart__axis\" x1=\"0\" y1=\"{base}\" x2=\"{WIDTH}\" y2=\"{base}\"></line>",
        escape(title)
    );
    for (i, column) in columns.iter().enumerate() {
        let middle = step * i as f64 + step / 2.0;
        match column.value {
            Some(value) => {
                let height = if max > 0.0 {
                    (value / max * plot).max(if value > 0.0 { 2.0 } else { 0.0 })
                } else {
                    0.0
                };
                let _ = write!(
                    svg,
                    "<g class=\"chart__bar\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" \
                     height=\"{height:.1}\"></rect>",
                    middle - bar / 2.0,
                    base - height,
                );
                if columns.len() <= 16 {
                    let _ = write!(
                        svg,
                        "<text x=\"{middle:.1}\" y=\"{:.1}\" class=\"chart__value chart__value--small\" \
                         text-anchor=\"middle\">{}</text>",
                        base - height - 4.0,
                        escape(&column.shown),
                    );
                }
                svg.push_str("</g>");
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"{middle:.1}\" y=\"{:.1}\" class=\"chart__value chart__value--small\" \
                     text-anchor=\"middle\">—</text>",
                    base - 4.0
                );
            }
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{middle:.1}\" y=\"{:.1}\" class=\"chart__label chart__label--small\" \
                 text-anchor=\"middle\">{}</text>",
                COLUMNS_HEIGHT - 6.0,
                escape(&column.label),
            );
        }
    }
    if let Some(marker) = marker {
        let x = (step * marker.at).clamp(1.0, WIDTH - 1.0);
        let anchor = if x > WIDTH / 2.0 { "end" } else { "start" };
        let text_x = if anchor == "end" { x - 4.0 } else { x + 4.0 };
        let _ = write!(
            svg,
            "<line class=\"chart__marker\" x1=\"{x:.1}\" y1=\"4\" x2=\"{x:.1}\" y2=\"{base}\"></line>\
             <text x=\"{text_x:.1}\" y=\"14\" class=\"chart__label chart__label--small\" \
             text-anchor=\"{anchor}\">{}</text>",
            escape(&marker.label),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text for SVG (XML) content and attributes.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_bar_per_value_and_escapes_its_labels() {
        let svg = bars(
            "smev",
            "Длительность ответа",
            &[
                Bar {
                    label: "ФНС <налоги>".into(),
                    value: 1.34,
                    shown: "1,34 дня".into(),
                },
                Bar {
                    label: "ПФР".into(),
                    value: 0.14,
                    shown: "0,14 дня".into(),
                },
            ],
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("ФНС &lt;налоги&gt;"));
        assert!(svg.contains("1,34 дня"));
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn a_chart_over_time_has_a_column_per_week_with_data_and_its_marker() {
        let week = |label: &str, value: Option<f64>| Column {
            label: label.into(),
            value,
            shown: value.map(|v| format!("{v}")).unwrap_or_default(),
        };
        let svg = columns(
            "returns",
            "Доля возвратов",
            &[
                week("02.11", Some(2.0)),
                week("09.11", None),
                week("16.11", Some(1.0)),
            ],
            Some(&Marker {
                at: 2.0,
                label: "включён 16.11".into(),
            }),
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("включён 16.11") && svg.contains("chart__marker"));
        assert!(svg.contains(">—</text>"), "a week without data says so");
        assert!(svg.contains("09.11"));
    }
}
