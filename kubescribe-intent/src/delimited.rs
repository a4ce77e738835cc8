//! Rule tables pasted as delimited rows: a spreadsheet's CSV export
//! (`Source,Destination,Port,Protocol,Action`), its semicolon form (a
//! European locale's Excel), or tab-separated cells copied out of a sheet.
//! A header line whose cells name a rule table's columns, and the lines
//! after it with as many cells, are read as a Markdown table's rows (the
//! cells as byte ranges of the input; a quoted cell's quotes left out).

/// The delimiters tried, the most particular first.
const DELIMITERS: [char; 3] = ['\t', ';', ','];

/// The cells of the line `text[line.0..line.1]` split at `delim`, a cell
/// in double quotes kept whole (a comma inside it is its own), trimmed and
/// unquoted.
pub(super) fn cells(text: &str, line: (usize, usize), delim: char) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = line.0;
    let mut quoted = false;
    for (k, c) in text[line.0..line.1].char_indices() {
        let at = line.0 + k;
        if c == '"' && (quoted || text[from..at].trim().is_empty()) {
            quoted = !quoted;
        } else if c == delim && !quoted {
            out.push(trim(text, from, at));
            from = at + c.len_utf8();
        }
    }
    out.push(trim(text, from, line.1));
    out
}

/// A cell's range, white space and one pair of quotes off.
fn trim(text: &str, from: usize, to: usize) -> (usize, usize) {
    let cell = &text[from..to];
    let start = from + (cell.len() - cell.trim_start().len());
    let end = start + cell.trim().len();
    let inner = &text[start..end];
    if inner.len() >= 2 && inner.starts_with('"') && inner.ends_with('"') {
        (start + 1, end - 1)
    } else {
        (start, end)
    }
}

/// The delimiter of a header line `head` that the line after it (`next`)
/// shares: two cells or more, each a short name (no sentence), as many
/// cells on both lines; `rule_columns` says how many of the header's cells
/// name a rule table's column.
pub(super) fn delimiter(
    text: &str,
    head: (usize, usize),
    next: (usize, usize),
    rule_columns: impl Fn(&[(usize, usize)]) -> usize,
) -> Option<char> {
    DELIMITERS.into_iter().find(|&d| {
        let h = cells(text, head, d);
        // ("Request field<TAB>Value": a form's fields, one a row.)
        let names = h.iter().all(|&(f, t)| {
            let c = text[f..t].to_ascii_lowercase();
            c.split_whitespace().count() <= 3
                && !c.ends_with(['.', '!', '?', ':'])
                && !c.ends_with("field")
                && c != "value"
        });
        h.len() >= 2 && names && cells(text, next, d).len() == h.len() && rule_columns(&h) >= 2
    })
}

#[cfg(test)]
mod tests {
    use super::cells;

    #[test]
    fn quoted_cells_keep_their_commas() {
        let text = "\"web (app=web)\",db,5432,\"a, b\",";
        let c = cells(text, (0, text.len()), ',');
        let said: Vec<&str> = c.iter().map(|&(f, t)| &text[f..t]).collect();
        assert_eq!(said, ["web (app=web)", "db", "5432", "a, b", ""]);
        let text = "a\tb c\t";
        assert_eq!(cells(text, (0, text.len()), '\t').len(), 3);
    }
}
