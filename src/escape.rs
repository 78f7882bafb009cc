//! Escaping text for Markdown: report text (rule titles, messages, paths from the scanned tree)
//! as inline text or a code span, so that it cannot end a table cell, a list item or a span.
//! The Markdown report and the rules reference use it.

/// Report text as Markdown inline text: HTML characters become entities, Markdown punctuation
/// is backslash-escaped (`|` included, so the text is safe in a table cell), and line breaks
/// become spaces so the text cannot end a list item or a table row.
pub fn text(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                escaped.push('\\');
                escaped.push(ch);
            }
            '\r' | '\n' => escaped.push(' '),
            _ => escaped.push(ch),
        }
    }
    escaped
}

/// Report text as a code span: fenced by more backticks than it holds in a row, on one line.
/// Not for table cells, where a `|` would still end the cell.
pub fn code(raw: &str) -> String {
    let raw = raw.replace(['\r', '\n'], " ");
    let mut longest = 0;
    let mut run = 0;
    for ch in raw.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{raw}{fence}")
    } else {
        format!("{fence} {raw} {fence}")
    }
}
