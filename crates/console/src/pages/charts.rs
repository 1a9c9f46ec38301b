//! Charts as data: a page embeds a [`Chart`] as JSON and `console.js` draws it with ECharts.
//! No chart logic in templates; amounts stay integers (fen) until the browser labels them.

use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Values are fen; the axis shows yuan.
    Fen,
    Count,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    Bar,
    Line,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub kind: SeriesKind,
    pub data: Vec<i64>,
}

/// A chart over consecutive days.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub title: String,
    pub unit: Unit,
    /// Bars of several series stack.
    pub stacked: bool,
    pub days: Vec<String>,
    pub series: Vec<Series>,
}

impl Chart {
    pub fn over(days: &[NaiveDate], title: &str, unit: Unit, stacked: bool) -> Self {
        Chart {
            title: title.to_owned(),
            unit,
            stacked,
            days: days
                .iter()
                .map(|day| day.format("%m-%d").to_string())
                .collect(),
            series: Vec::new(),
        }
    }

    /// Adds a series whose value on each day is `value(day)`.
    pub fn series(
        mut self,
        name: &str,
        kind: SeriesKind,
        days: &[NaiveDate],
        value: impl Fn(NaiveDate) -> i64,
    ) -> Self {
        self.series.push(Series {
            name: name.to_owned(),
            kind,
            data: days.iter().map(|day| value(*day)).collect(),
        });
        self
    }

    /// The JSON the page embeds (escaped for a `<script type="application/json">` block).
    pub fn json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".to_owned())
            .replace('<', "\\u003c")
    }
}
