//! Imports point down: every `crate::module` a file in src/ names must sit in its own layer or
//! below, as the layer table in docs/architecture.md lists them. A module missing from the
//! table fails the test too, so a new module gets a place in the picture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ARCHITECTURE: &str = include_str!("../docs/architecture.md");

/// Module name → layer number (0 = top) from the table between the `layers` markers.
fn layer_table() -> BTreeMap<String, usize> {
    let start = ARCHITECTURE
        .find("<!-- layers -->")
        .expect("layers table start marker");
    let end = ARCHITECTURE
        .find("<!-- /layers -->")
        .expect("layers table end marker");
    let mut table = BTreeMap::new();
    let rows = ARCHITECTURE[start..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("| ---") && !l.starts_with("| layer"));
    for (layer, row) in rows.enumerate() {
        let modules = row.split('|').nth(2).expect("a modules column");
        for m in modules.split(',') {
            let name = m
                .trim()
                .trim_matches('`')
                .trim_end_matches(".rs")
                .trim_end_matches('/');
            assert!(!name.is_empty(), "empty module name in row {row:?}");
            assert!(
                table.insert(name.to_owned(), layer).is_none(),
                "{name} listed twice"
            );
        }
    }
    table
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of src/ belongs to (`src/ctap2/cbor.rs` → `ctap2`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// Every top-level module named as `crate::name` or inside `crate::{a, b::c}`, outside comments.
fn imported_modules(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `mycrate::`
            }
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                found.extend(inner.split(',').filter_map(|item| {
                    let name = item.trim().split("::").next()?.trim();
                    (!name.is_empty()).then(|| name.to_owned())
                }));
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        }
    }
    found
}

#[test]
fn no_module_imports_a_higher_layer() {
    let table = layer_table();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let module = module_of(&src, &file);
        if module == "lib" {
            continue; // declares the modules; imports nothing
        }
        let Some(&own) = table.get(&module) else {
            violations.push(format!(
                "{}: module `{module}` is not in the layer table of docs/architecture.md",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for imported in imported_modules(&text) {
            match table.get(&imported) {
                Some(&layer) if layer >= own => {}
                Some(_) => violations.push(format!(
                    "{}: `{module}` imports `crate::{imported}`, a higher layer",
                    file.display()
                )),
                None => violations.push(format!(
                    "{}: imports `crate::{imported}`, which is not in the layer table",
                    file.display()
                )),
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_import_scanner_sees_single_grouped_and_inline_paths() {
    let source = "use crate::ctap2::cbor;\nuse crate::{util, report::html};\n\
                  let x = crate::cli::run(); // crate::audit in a comment\nmycrate::x();";
    assert_eq!(imported_modules(source), ["ctap2", "util", "report", "cli"]);
}

#[test]
fn the_table_places_the_documented_layers_in_order() {
    let t = layer_table();
    assert!(t["cli"] < t["report"]);
    assert!(t["report"] < t["audit"]);
    assert!(t["audit"] < t["device"]);
    assert!(t["device"] < t["ctap2"]);
    assert!(t["ctap2"] < t["ctaphid"]);
    assert!(t["ctaphid"] < t["transport"]);
    assert_eq!(t["entra"], t["audit"]);
    assert_eq!(t["mds"], t["audit"]);
    assert!(
        t["inventory"] < t["device"],
        "protocol layers never import the inventory"
    );
}
