//! The HTML sheet printed by a real browser (headless Chromium) to PDF: one page per key plus the
//! summary page, and every label, UPN and the inventory digest in the PDF's text (poppler).
//! Skipped — with a message on the terminal, not swallowed by the test harness — only when no
//! browser is installed; `.ci/run` installs one and then sets GLASSKEY_REQUIRE_BROWSER=1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::Command;

const FIXTURE: &str = "tests/fixtures/sheets.toml";

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Writes past libtest's output capture, so a skip is never silent.
fn visible(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn printed_sheet_has_one_page_per_key_plus_summary() {
    let browser = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .into_iter()
    .find(|b| available(b));
    let poppler = available("pdftotext") || Command::new("pdfinfo").arg("-v").output().is_ok();
    let (Some(browser), true) = (browser, poppler) else {
        if std::env::var_os("GLASSKEY_REQUIRE_BROWSER").is_some() {
            panic!("GLASSKEY_REQUIRE_BROWSER is set but chromium or poppler-utils is missing");
        }
        visible("SKIPPED printed_sheet_has_one_page_per_key_plus_summary: no headless Chromium or poppler-utils here (apt-get install chromium poppler-utils)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let print = |paper: &str| -> std::path::PathBuf {
        let html = dir.path().join(format!("sheets-{paper}.html"));
        let pdf = dir.path().join(format!("sheets-{paper}.pdf"));
        let out = common::bin::std_command()
            .current_dir(root)
            .args([
                "--now",
                "2026-12-01T08:00:00Z",
                "sheet",
                "--inventory",
                FIXTURE,
                "--paper",
                paper,
                "-o",
            ])
            .arg(&html)
            .output()
            .unwrap();
        assert!(out.status.success());
        let status = Command::new("timeout")
            .arg("120")
            .arg(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-pdf-header-footer",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", html.display()))
            .output()
            .unwrap();
        assert!(
            pdf.exists(),
            "no PDF from {browser}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        pdf
    };
    let pdf = print("a4");

    let info =
        String::from_utf8(Command::new("pdfinfo").arg(&pdf).output().unwrap().stdout).unwrap();
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (_, inv) =
        glasskey::inventory::Store::load(&std::path::Path::new(root).join(FIXTURE)).unwrap();
    assert_eq!(
        pages,
        inv.keys.len() + 1,
        "one page per key plus the summary"
    );

    for paper in ["a4", "letter"] {
        let pdf = if paper == "a4" {
            pdf.clone()
        } else {
            print(paper)
        };
        // The summary page prints landscape, so a UPN and a model name each fit one line of their
        // column; the key pages stay portrait.
        let sizes = String::from_utf8(
            Command::new("pdfinfo")
                .args(["-f", "1", "-l", "2"])
                .arg(&pdf)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let page_size = |n: usize| -> (f64, f64) {
            let line = sizes
                .lines()
                .find(|l| l.starts_with(&format!("Page {n:>4} size:")))
                .unwrap_or_else(|| panic!("no size for page {n} in {sizes}"));
            let dims: Vec<f64> = line
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            (dims[1], dims[2])
        };
        let (w, h) = page_size(1);
        assert!(
            w > h,
            "{paper}: summary page is {w} x {h} pt: not landscape"
        );
        let (w, h) = page_size(2);
        assert!(w < h, "{paper}: key page is {w} x {h} pt: not portrait");
        let summary = String::from_utf8(
            Command::new("pdftotext")
                .args(["-layout", "-f", "1", "-l", "1"])
                .arg(&pdf)
                .arg("-")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        for k in &inv.keys {
            assert!(
                summary.lines().any(|l| l.contains(&k.account)),
                "{paper}: UPN {} is broken across lines of the summary page:\n{summary}",
                k.account
            );
            if let Some(model) = &k.model {
                assert!(
                    summary.lines().any(|l| l.contains(model.as_str())),
                    "{paper}: model {model} is broken across lines of the summary page:\n{summary}"
                );
            }
        }
    }

    let text = String::from_utf8(
        Command::new("pdftotext")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let flat = compact(&text);
    let digest =
        glasskey::inventory::store::file_digest(&std::path::Path::new(root).join(FIXTURE)).unwrap();
    assert!(flat.contains(&digest), "the digest is in the PDF");
    for k in &inv.keys {
        assert!(
            flat.contains(&compact(&k.label)),
            "label {:?} missing from the PDF",
            k.label
        );
        assert!(
            flat.contains(&k.account),
            "UPN {} missing from the PDF",
            k.account
        );
        assert!(
            flat.contains(&compact(&glasskey::util::short_fingerprint(
                &k.identity.fingerprint
            ))),
            "fingerprint of {}",
            k.label
        );
    }
}
