//! The Markdown table of a run.

use std::fmt::Write as _;

use super::load::LoadResult;
use crate::markdown;

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub metric: String,
    pub value: String,
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` no target.
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    pub context: Vec<String>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn measure(&mut self, metric: impl Into<String>, value: impl Into<String>) {
        self.rows.push(Row {
            metric: metric.into(),
            value: value.into(),
            target: String::new(),
            met: None,
        });
    }

    pub fn target(
        &mut self,
        metric: impl Into<String>,
        value: impl Into<String>,
        target: impl Into<String>,
        met: bool,
    ) {
        self.rows.push(Row {
            metric: metric.into(),
            value: value.into(),
            target: target.into(),
            met: Some(met),
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The rate and latency rows of a load, and its first error.
    pub fn load_rows(&mut self, what: &str, result: &LoadResult) {
        self.measure(
            format!("{what}: rate"),
            format!(
                "{}/s ({} ok, {} errors, {:.1} s)",
                rate(result.rate()),
                result.ok,
                result.errors,
                result.elapsed.as_secs_f64()
            ),
        );
        self.measure(format!("{what}: latency"), result.summary());
        if let Some(error) = &result.first_error {
            self.note(format!("{what}: first error: {error}"));
        }
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {}\n", self.title);
        for line in &self.context {
            let _ = writeln!(out, "- {line}");
        }
        if !self.context.is_empty() {
            out.push('\n');
        }
        out.push_str(&markdown::verdict_table(
            ["metric", "value", "target"],
            ["met", "**missed**"],
            self.rows
                .iter()
                .map(|row| [row.metric.as_str(), row.value.as_str(), row.target.as_str()]),
            self.rows.iter().map(|row| row.met),
        ));
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

/// `1234.5` → `"1,234"`: rates without false precision.
pub fn rate(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_owned();
    }
    let whole = value.round() as i64;
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if whole < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

pub fn ms(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_owned();
    }
    if value < 10.0 {
        format!("{value:.2} ms")
    } else {
        format!("{value:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(rate(1234.4), "1,234");
        assert_eq!(rate(999.6), "1,000");
        assert_eq!(rate(12.0), "12");
        assert_eq!(rate(f64::NAN), "n/a");
    }

    #[test]
    fn marks_missed_targets() {
        let mut report = Report {
            title: "t".to_owned(),
            ..Report::default()
        };
        report.target("a", "1", "< 2", true);
        report.target("b", "3", "< 2", false);
        report.measure("c", "4");
        let text = report.markdown();
        assert!(text.contains("| a | 1 | < 2 | met |"), "{text}");
        assert!(text.contains("| b | 3 | < 2 | **missed** |"), "{text}");
        assert!(text.contains("| c | 4 |  |  |"), "{text}");
    }
}
