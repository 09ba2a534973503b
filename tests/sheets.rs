//! Inventory sheets: a snapshot per format on a fixed inventory full of hostile text (dates
//! injected), the digest in every format, and the audit report through the same renderers.
//! Refresh snapshots after an intended change with UPDATE_SNAPSHOTS=1 cargo test --test sheets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::bin::{dev, init_inventory, pin_line, virtual_key, BG1};

const NOW: &str = "2026-12-01T08:00:00Z";
const FIXTURE: &str = "tests/fixtures/sheets.toml";
const LABELS: [&str; 3] = ["BG01-A", "BG02 \"B\", <i>", "BG02-C"];

/// The binary, run from the crate root so the fixture's relative path resolves.
fn glasskey() -> Command {
    let mut c = common::bin::glasskey();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn render(args: &[&str]) -> String {
    let out = glasskey()
        .args(["--now", NOW, "sheet", "--inventory", FIXTURE])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_SNAPSHOTS=1 to create)",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        panic!("{name} differs from its snapshot from line {line} on; if intended, rerun with UPDATE_SNAPSHOTS=1");
    }
}

fn digest() -> String {
    let out = glasskey()
        .args(["inventory", "digest", FIXTURE])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn html_snapshot() {
    snapshot("sheets.html", &render(&["--format", "html"]));
}

#[test]
fn markdown_snapshot() {
    snapshot("sheets.md", &render(&["--format", "md"]));
}

#[test]
fn csv_snapshot() {
    snapshot("sheets.csv", &render(&["--format", "csv"]));
}

#[test]
fn json_snapshot() {
    snapshot("sheets.json", &render(&["--format", "json"]));
}

#[test]
fn every_format_carries_the_inventory_digest_and_date() {
    let d = digest();
    assert_eq!(d.len(), 64);
    for format in ["html", "md", "csv", "json"] {
        let text = render(&["--format", format]);
        assert!(text.contains(&d), "{format} lacks the digest");
        assert!(text.contains(NOW), "{format} lacks the date");
    }
}

#[test]
fn html_is_self_contained_and_hostile_text_stays_text() {
    let html = render(&["--format", "html"]);
    assert!(
        !html.contains("<script"),
        "no script element, from data or otherwise"
    );
    assert!(!html.contains("<i>"), "markup in a label is escaped");
    assert!(
        !html.contains("src=") && !html.contains("href=") && !html.contains("url("),
        "no external assets"
    );
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(html.contains("BG02 &quot;B&quot;, &lt;i&gt;"));
    assert!(
        html.contains("<bdi>🏦 Bank vault #7 — ليست آمنة</bdi>"),
        "RTL and emoji kept, isolated"
    );
    assert_eq!(
        html.matches("<section class=\"page").count(),
        1 + LABELS.len(),
        "a summary page and one page per key"
    );
    assert_eq!(
        html.matches("<table class=\"checklist\">").count(),
        LABELS.len()
    );
}

#[test]
fn markdown_rows_keep_their_columns() {
    let md = render(&["--format", "md"]);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        rows.len(),
        2 + LABELS.len(),
        "header, rule, one row per key: a newline in the data did not split a row"
    );
    for row in rows {
        let unescaped = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && (i == 0 || row.as_bytes()[i - 1] != b'\\'))
            .count();
        assert_eq!(unescaped, 13, "12 cells: {row}");
    }
    assert!(
        md.contains("&lt;script&gt;"),
        "HTML in Markdown is neutralised"
    );
}

/// A small RFC 4180 reader, independent of the writer.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn csv_is_rfc_4180_and_round_trips() {
    let csv = render(&["--format", "csv"]);
    assert!(csv.contains("\r\n"), "CRLF line ends");
    let rows = parse_csv(&csv);
    assert_eq!(rows.len(), 1 + LABELS.len());
    assert!(rows.iter().all(|r| r.len() == 19), "{rows:?}");
    assert_eq!(rows[0][0], "label");
    let labels: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(labels, LABELS);
    assert_eq!(
        rows[1][12], "Safe 1 | Vault, HQ\nShelf 3",
        "commas, pipes and newlines survive"
    );
    assert_eq!(rows[1][11], "Ana \"The Vault\" O'Neil, CISO");
    assert!(
        rows[2][11].starts_with("'="),
        "a formula is defused: {}",
        rows[2][11]
    );
    assert_eq!(rows[2][15], "findings");
    assert_eq!(rows[1][15], "pass");
    assert_eq!(rows[3][15], "", "never checked");
}

#[test]
fn one_key_and_unknown_key() {
    let html = render(&["--key", "BG02-C", "--paper", "letter"]);
    assert_eq!(html.matches("<section class=\"page").count(), 2);
    assert!(html.contains("size: letter"));
    let out = glasskey()
        .args(["sheet", "--inventory", FIXTURE, "--key", "NOPE"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no key labelled NOPE"));
}

#[test]
fn output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.csv");
    glasskey()
        .args([
            "--now",
            NOW,
            "sheet",
            "--inventory",
            FIXTURE,
            "--format",
            "csv",
            "-o",
        ])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        render(&["--format", "csv"])
    );
}

#[test]
fn audit_report_renders_as_html_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", BG1, "--min-keys", "1"]);
    let key = virtual_key(dir.path(), "k.json").create();
    let dev = dev(&key);
    glasskey()
        .args(["--device", &dev, "enroll", "--inventory"])
        .arg(&inv)
        .args([
            "--label",
            "<b>K1</b>",
            "--account",
            BG1,
            "--custodian",
            "C",
            "--location",
            "L",
        ])
        .assert()
        .success();
    let html_path = dir.path().join("audit.html");
    let out = glasskey()
        .args(["--device", &dev, "audit", "--inventory"])
        .arg(&inv)
        .args(["--pin-stdin", "--report", "html", "-o"])
        .arg(&html_path)
        .write_stdin(pin_line())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "no passkey registered: GK008");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("GK008") && html.contains("&lt;b&gt;K1&lt;/b&gt;"),
        "{html}"
    );
    let out = glasskey()
        .args(["--device", &dev, "audit", "--inventory"])
        .arg(&inv)
        .args(["--pin-stdin", "--report", "md"])
        .write_stdin(pin_line())
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Break-glass audit"), "{md}");
    assert!(
        md.contains("| GK008 | critical | &lt;b&gt;K1&lt;/b&gt; |"),
        "{md}"
    );
}
