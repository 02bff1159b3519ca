//! The output formats of `open` and `receipts`, and CSV as they write it: quoted cells
//! (RFC 4180), formulas neutralised.

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document: an array.
    Json,
    /// One row per item (formulas neutralised).
    Csv,
    /// CSV as spreadsheet programs in German-speaking offices open it with a double click: `;`
    /// between cells and a UTF-8 byte order mark, so that columns and umlauts come out right.
    CsvExcel,
}

/// A CSV text (`;`-separated) as `csv-excel`: after a UTF-8 byte order mark.
pub fn excel(csv: &str) -> String {
    format!("\u{feff}{csv}")
}

/// Appends one row of `cells`, separated by `separator`, ended by CRLF.
pub fn push_row(out: &mut String, separator: &str, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|cell| csv_cell(&cell)).collect();
    out.push_str(&cells.join(separator));
    out.push_str("\r\n");
}

/// A quoted CSV cell (RFC 4180). A value a spreadsheet would read as a formula gets a leading
/// apostrophe (OWASP "CSV injection").
fn csv_cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("-1"), "\"'-1\"");
        assert_eq!(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell("\tx"), "\"'\tx\"");
        assert_eq!(csv_cell("Müller"), "\"Müller\"");
        assert_eq!(csv_cell("a,b\nc"), "\"a,b\nc\"");
    }
}
