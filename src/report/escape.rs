//! Escaping outside text for each output format: names and locations are typed by people, user
//! names and RP IDs come from keys, and any of them may hold markup, separators, newlines,
//! terminal escapes and bidi controls. Every format first makes hidden characters visible
//! (`untrusted::visible`), then applies its own syntax escaping.

use crate::untrusted::visible;

/// HTML text and attribute content.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One Markdown table cell: no line breaks, no unescaped pipes, no active markup or raw HTML.
pub fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in visible(s).chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    if out.is_empty() {
        "–".into()
    } else {
        out
    }
}

/// One CSV field (RFC 4180): quoted when it holds a separator, quote or line break, quotes
/// doubled. Line breaks stay data inside the quotes; every other hidden character is made
/// visible. A leading =, +, - or @ (after any spaces) would make a spreadsheet evaluate the
/// cell as a formula, so such fields get a leading apostrophe.
pub fn csv_field(s: &str) -> String {
    let shown = s.split('\n').map(visible).collect::<Vec<_>>().join("\n");
    let guarded = if shown.trim_start().starts_with(['=', '+', '-', '@']) {
        format!("'{shown}")
    } else {
        shown
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_neutralises_markup() {
        assert_eq!(
            html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(html("a\nb\u{0}c\u{202e}"), "a\\nb\\u{0}c\\u{202e}");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown_cell("a|b\nc"), "a\\|b\\\\nc");
        assert_eq!(
            markdown_cell("\u{1b}[2J\u{200b}"),
            "\\\\u{1b}\\[2J\\\\u{200b}"
        );
        assert_eq!(markdown_cell("<b>*x*</b>"), "&lt;b&gt;\\*x\\*&lt;/b&gt;");
        assert_eq!(markdown_cell(""), "–");
    }

    #[test]
    fn csv_follows_rfc_4180_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("  @SUM(A1)"), "'  @SUM(A1)");
        assert_eq!(csv_field("\tx\u{202e}"), "\\tx\\u{202e}");
    }
}
