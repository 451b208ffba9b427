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
}
