//! Markdown tables, as both reports print them.

use std::fmt::Write as _;

/// A table whose last column has no heading (the verdict): `| a | b | c | |`. A `|` in a
/// cell is escaped so that it cannot split the cell.
pub fn table<'a>(headings: &[&str], rows: impl IntoIterator<Item = Vec<&'a str>>) -> String {
    let mut out = String::from("|");
    for heading in headings {
        if heading.is_empty() {
            out.push_str(" |");
        } else {
            let _ = write!(out, " {heading} |");
        }
    }
    out.push_str("\n|");
    out.push_str(&"---|".repeat(headings.len()));
    out.push('\n');
    for row in rows {
        out.push('|');
        for cell in row {
            let _ = write!(out, " {} |", cell.replace('|', "\\|"));
        }
        out.push('\n');
    }
    out
}

/// A table of three text columns and a verdict: `marks` name a met and a missed
/// verdict; a row without one (`None`) leaves the cell empty.
pub fn verdict_table<'a>(
    headings: [&str; 3],
    marks: [&'a str; 2],
    rows: impl IntoIterator<Item = [&'a str; 3]>,
    verdicts: impl IntoIterator<Item = Option<bool>>,
) -> String {
    let [met, missed] = marks;
    let [first, second, third] = headings;
    table(
        &[first, second, third, ""],
        rows.into_iter().zip(verdicts).map(|(cells, verdict)| {
            let mark = match verdict {
                Some(true) => met,
                Some(false) => missed,
                None => "",
            };
            let mut row = cells.to_vec();
            row.push(mark);
            row
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn escapes_bars_and_leaves_the_verdict_heading_empty() {
        let text = table(&["metric", "value", ""], [vec!["a|b", "1", ""]]);
        assert_eq!(
            text,
            "| metric | value | |\n|---|---|---|\n| a\\|b | 1 |  |\n"
        );
    }
}
