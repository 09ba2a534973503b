//! The command line as a newcomer reads it: every command's `--help` (snapshots in
//! tests/snapshots/help, so a change to the text is reviewed), options declared only where they
//! apply, a one-line help for every option and positional, an example on every command.
//! Refresh the snapshots with `INSTA_UPDATE=always cargo test --test help`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assert_cmd::Command;
use clap::CommandFactory;
use glasskey::cli::args::Cli;

/// Options that only make sense when glasskey talks to a key.
const KEY_OPTIONS: [&str; 5] = [
    "--device",
    "--timeout",
    "--verbose",
    "--pin-stdin",
    "--force",
];

/// Commands that read or write only files: none of `KEY_OPTIONS` belongs in their help.
const NO_KEY: [&str; 15] = [
    "sheet",
    "inventory init",
    "inventory add-account",
    "inventory show",
    "inventory validate",
    "inventory history",
    "inventory verify",
    "inventory digest",
    "inventory retire",
    "inventory reassign",
    "virtual serve",
    "virtual replug",
    "virtual profiles",
    "completions",
    "man",
];

/// Commands that talk to a key chosen with `--device`.
const KEY: [&str; 13] = [
    "list",
    "info",
    "wink",
    "pin status",
    "pin verify",
    "pin set",
    "pin change",
    "creds",
    "enroll",
    "identify",
    "audit",
    "vet",
    "virtual register",
];

fn glasskey() -> Command {
    let mut c = common::bin::glasskey();
    c.env("COLUMNS", "100")
        .timeout(std::time::Duration::from_secs(30));
    c
}

/// Every command path (`["pin", "status"]`) that runs something, i.e. has no subcommands.
fn leaf_commands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_owned());
            if sub.has_subcommands() {
                walk(sub, &path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &[], &mut out);
    out
}

fn help(path: &[&str]) -> String {
    let out = glasskey().args(path).arg("--help").output().unwrap();
    assert!(out.status.success(), "{path:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn help_text_of_every_command_matches_its_snapshot() {
    let mut paths = vec![vec![]];
    paths.extend(leaf_commands());
    paths.extend([
        vec!["pin".into()],
        vec!["inventory".into()],
        vec!["virtual".into()],
    ]);
    for path in paths {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let name = if path.is_empty() {
            "glasskey".to_owned()
        } else {
            format!("glasskey-{}", path.join("-"))
        };
        insta::with_settings!({ snapshot_path => "snapshots/help", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, help(&args));
        });
    }
}

#[test]
fn commands_that_use_no_key_offer_no_key_or_pin_options() {
    for name in NO_KEY {
        let text = help(&name.split(' ').collect::<Vec<_>>());
        // Examples may show the next step on a key; only the options list counts here.
        let options = text.split("Example").next().unwrap_or_default();
        for option in KEY_OPTIONS {
            assert!(
                !options.contains(option),
                "`glasskey {name} --help` offers {option}, which it cannot use:\n{text}"
            );
        }
    }
}

#[test]
fn commands_that_use_a_key_offer_the_key_options() {
    for name in KEY {
        let text = help(&name.split(' ').collect::<Vec<_>>());
        let expected: &[&str] = if name == "virtual register" {
            // The state file names the key; only how to talk to it is left to choose.
            &["--timeout", "--verbose", "--pin-stdin"]
        } else {
            &["--device", "--timeout", "--verbose"]
        };
        for option in expected {
            assert!(
                text.contains(option),
                "`glasskey {name} --help` lacks {option}:\n{text}"
            );
        }
    }
}

#[test]
fn every_option_and_positional_has_a_one_line_help() {
    fn check(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || id == "help" || id == "version" {
                continue;
            }
            if arg
                .get_help()
                .is_none_or(|h| h.to_string().trim().is_empty())
            {
                missing.push(format!("glasskey {path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            check(sub, format!("{path} {}", sub.get_name()).trim(), missing);
        }
    }
    let mut missing = Vec::new();
    check(&Cli::command(), "", &mut missing);
    assert!(missing.is_empty(), "options without help: {missing:#?}");
}

#[test]
fn every_command_help_shows_an_example() {
    for path in leaf_commands() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        let example = format!("glasskey {}", path.join(" "));
        assert!(
            text.contains("Example:\n") || text.contains("Examples:\n"),
            "`{example} --help` shows no example"
        );
        assert!(
            text.lines().any(|l| l.contains(&example)),
            "`{example} --help` has no example line running it"
        );
    }
}

#[test]
fn an_option_before_a_command_that_does_not_take_it_is_refused() {
    let out = glasskey()
        .args([
            "--device",
            "virtual:/nonexistent",
            "inventory",
            "digest",
            "x.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "glasskey: --device does not apply to `glasskey inventory digest`: see `glasskey inventory digest --help` for its options\n"
    );
}

#[test]
fn completions_offer_key_options_only_to_commands_that_use_a_key() {
    let out = glasskey().args(["completions", "fish"]).output().unwrap();
    let script = String::from_utf8(out.stdout).unwrap();
    let lines_for = |sub: &str| -> Vec<&str> {
        let cond = format!("__fish_glasskey_using_subcommand {sub}\"");
        script.lines().filter(|l| l.contains(&cond)).collect()
    };
    let sheet = lines_for("sheet");
    assert!(sheet.iter().any(|l| l.contains("-l inventory")), "{script}");
    assert!(!sheet
        .iter()
        .any(|l| l.contains("-l device") || l.contains("-l pin-stdin")));
    let creds = lines_for("creds");
    assert!(creds.iter().any(|l| l.contains("-l device")));
    assert!(creds.iter().any(|l| l.contains("-l pin-stdin")));
}

#[test]
fn man_pages_per_command_carry_each_commands_own_options_and_example() {
    let dir = tempfile::tempdir().unwrap();
    glasskey()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    let page = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    for path in leaf_commands() {
        let text = page(&format!("glasskey-{}.1", path.join("-")));
        assert!(text.contains("Example"), "{path:?}: no example");
    }
    let sheet = page("glasskey-sheet.1");
    assert!(sheet.contains(r"\-\-inventory"));
    assert!(!sheet.contains(r"\-\-device") && !sheet.contains(r"\-\-pin\-stdin"));
    let creds = page("glasskey-creds.1");
    assert!(creds.contains(r"\-\-device") && creds.contains(r"\-\-pin\-stdin"));
}

#[test]
fn man_pages_into_a_missing_directory_fail_with_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let out = glasskey()
        .args(["man", "--dir"])
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("glasskey: cannot write the man pages into "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
