//! Text from outside is data (DESIGN §3.8): a key's user names and RP IDs, and an inventory's
//! strings, reach the terminal, the history replay and every sheet with control, escape, bidi
//! and invisible characters made visible; look-alike sites and accounts are findings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use serde_json::Value;

const PIN: &str = "Kq7!mZ2p";
const BG1: &str = "bg-01@contoso.onmicrosoft.com";
const T0: &str = "2026-11-25T10:00:00Z";
/// A user name that, printed raw, clears the screen, sets the clipboard (OSC 52), and writes a
/// passing result of its own, then reverses what follows.
const SPOOF: &str = "x\n\u{1b}[2J\u{1b}[H\u{1b}]52;c;cGFzcw==\u{7}No findings.\nRecorded as check #1 (0123456789abcdef).\nresult: pass\n\u{202e}\u{200b}";

mod binary;

use binary::p;

/// `s` as a TOML basic string, hidden characters as \u escapes.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn run(args: &[&str]) -> std::process::Output {
    binary::run(args, &format!("{PIN}\n"))
}

fn ok(args: &[&str]) -> String {
    binary::ok(args, &format!("{PIN}\n"))
}

/// Characters that must never reach an output raw (the line ends of CSV aside).
fn raw_hidden(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            c != '\n'
                && c != '\r'
                && (c.is_control()
                    || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'))
        })
        .collect()
}

struct Setup {
    _dir: tempfile::TempDir,
    inv: PathBuf,
    dev: String,
}

/// An inventory with BG1's key enrolled; the key also holds a passkey for `user` at `rp`.
fn setup(rp: &str, user: &str, custodian: &str, location: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    ok(&[
        "inventory",
        "init",
        p(&inv),
        "--tenant",
        "contoso.onmicrosoft.com",
        "--account",
        BG1,
        "--min-keys",
        "1",
        "--allow-software-keys",
    ]);
    let key = dir.path().join("k1.json");
    ok(&[
        "virtual",
        "create",
        p(&key),
        "--serial",
        "31337001",
        "--pin-stdin",
    ]);
    ok(&["virtual", "register", p(&key), "--user", BG1, "--pin-stdin"]);
    ok(&[
        "virtual",
        "register",
        p(&key),
        "--rp",
        rp,
        "--user",
        user,
        "--pin-stdin",
    ]);
    let dev = format!("virtual:{}", key.display());
    ok(&[
        "--device",
        &dev,
        "--now",
        T0,
        "enroll",
        "--inventory",
        p(&inv),
        "--label",
        "BG01-A",
        "--account",
        BG1,
        "--custodian",
        custodian,
        "--location",
        location,
        "--pin-stdin",
    ]);
    Setup {
        _dir: dir,
        inv,
        dev,
    }
}

fn allow_other_credentials(s: &Setup) {
    let text = std::fs::read_to_string(&s.inv).unwrap().replace(
        "allow_other_credentials = false",
        "allow_other_credentials = true",
    );
    std::fs::write(&s.inv, text).unwrap();
}

fn audit(s: &Setup, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--device", &s.dev, "--now", T0];
    args.extend(extra);
    args.extend(["audit", "--inventory", p(&s.inv), "--pin-stdin"]);
    run(&args)
}

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_user_name_spelling_a_pass_cannot_fake_the_text_audit_or_the_history() {
    let s = setup("login.microsoft.com", SPOOF, "C", "Safe 1");
    let out = audit(&s, &[]);
    let screen = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{screen}");
    assert!(
        raw_hidden(&screen).is_empty(),
        "raw {:?} in:\n{screen}",
        raw_hidden(&screen)
    );
    assert!(
        screen.contains("\\u{1b}[2J\\u{1b}[H\\u{1b}]52;c;cGFzcw==\\u{7}No findings.\\nRecorded"),
        "{screen}"
    );
    assert!(screen.contains("\\u{202e}\\u{200b}"), "{screen}");
    let results: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("result:"))
        .collect();
    assert_eq!(results, ["result: findings"], "{screen}");
    assert!(
        !screen.lines().any(|l| l.starts_with("No findings")),
        "{screen}"
    );
    assert!(
        !screen
            .lines()
            .any(|l| l.starts_with("Recorded as check #1 (0123")),
        "{screen}"
    );
    assert!(screen.contains("GK058"), "a finding of its own:\n{screen}");

    let history = ok(&["inventory", "history", p(&s.inv)]);
    assert!(raw_hidden(&history).is_empty(), "{history}");
    assert!(history.contains("\\u{1b}[2J"), "{history}");
    assert!(
        !history
            .lines()
            .any(|l| l.starts_with("result:") || l.starts_with("No findings")),
        "{history}"
    );

    // JSON keeps the exact value, JSON-escaped.
    let out = audit(&s, &["--json"]);
    let json = String::from_utf8(out.stdout).unwrap();
    assert!(raw_hidden(&json).is_empty(), "{json}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let passkeys = v["keys_checked"][0]["passkeys"].as_array().unwrap();
    assert!(passkeys.iter().any(|p| p == SPOOF), "{passkeys:?}");

    let creds = ok(&["--device", &s.dev, "creds", "--pin-stdin"]);
    assert!(raw_hidden(&creds).is_empty(), "{creds}");
    assert!(creds.contains("\\u{1b}]52;c;"), "{creds}");

    for format in ["html", "md"] {
        let out = run(&[
            "--device",
            &s.dev,
            "--now",
            T0,
            "audit",
            "--inventory",
            p(&s.inv),
            "--pin-stdin",
            "--report",
            format,
        ]);
        let report = String::from_utf8(out.stdout).unwrap();
        assert!(raw_hidden(&report).is_empty(), "{format}: {report}");
        assert!(report.contains("\\u{202e}"), "{format}: {report}");
    }
}

#[test]
fn bidi_and_escapes_in_inventory_text_are_visible_in_every_sheet() {
    let custodian = "Ana \u{202e}gnp.exe";
    let location = "Safe\u{200b}1 \u{1b}[31mred";
    // glasskey refuses such text at input; a hand edit of the file still gets it in.
    let s = setup("example.com", "someone@example.com", "Ana", "Safe 1");
    let text = std::fs::read_to_string(&s.inv).unwrap();
    let text = text
        .replace(
            "custodian = \"Ana\"",
            &format!("custodian = {}", toml_string(custodian)),
        )
        .replace(
            "location = \"Safe 1\"",
            &format!("location = {}", toml_string(location)),
        );
    std::fs::write(&s.inv, text).unwrap();
    for format in ["html", "md", "csv"] {
        let sheet = ok(&[
            "--now",
            T0,
            "sheet",
            "--inventory",
            p(&s.inv),
            "--format",
            format,
        ]);
        assert!(
            raw_hidden(&sheet).is_empty(),
            "{format}: raw {:?}",
            raw_hidden(&sheet)
        );
        assert!(sheet.contains("\\u{202e}gnp.exe"), "{format}: {sheet}");
        assert!(
            sheet.contains("\\u{200b}1") && sheet.contains("\\u{1b}"),
            "{format}: {sheet}"
        );
    }
    let json = ok(&["--now", T0, "--json", "sheet", "--inventory", p(&s.inv)]);
    assert!(raw_hidden(&json).is_empty(), "{json}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["keys"][0]["custodian"], custodian);
    let show = ok(&["inventory", "show", p(&s.inv)]);
    assert!(
        raw_hidden(&show).is_empty() && show.contains("\\u{202e}"),
        "{show}"
    );
}

#[test]
fn a_look_alike_of_the_entra_rp_id_is_a_finding() {
    // "о" is U+043E CYRILLIC SMALL LETTER O.
    let s = setup("login.micr\u{43e}soft.com", BG1, "C", "Safe 1");
    // Even where other credentials are allowed, a look-alike site is not.
    allow_other_credentials(&s);
    let out = audit(&s, &["--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert_eq!(rules_of(&v), ["GK055"], "{v}");
    let message = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("U+043E") && message.contains("login.microsoft.com"),
        "{message}"
    );
    // `creds`, with no inventory, says so beside the RP ID too.
    let creds = ok(&["--device", &s.dev, "creds", "--pin-stdin"]);
    assert!(
        creds.contains(
            "login.micr\u{43e}soft.com  LOOK-ALIKE of login.microsoft.com (non-ASCII: U+043E)"
        ),
        "{creds}"
    );
}

#[test]
fn a_look_alike_of_a_break_glass_upn_is_a_finding() {
    for look_alike in [
        "bg-01@c\u{43e}ntoso.onmicrosoft.com",
        "bg-0l@contoso.onmicrosoft.com",
    ] {
        let s = setup("login.microsoft.com", look_alike, "C", "Safe 1");
        allow_other_credentials(&s);
        let out = audit(&s, &["--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "{look_alike}: {v}");
        assert_eq!(rules_of(&v), ["GK056"], "{look_alike}: {v}");
    }
}

#[test]
fn an_inventory_whose_rp_id_was_made_a_look_alike_fails_validation() {
    let s = setup("example.com", "someone@example.com", "C", "Safe 1");
    allow_other_credentials(&s);
    let text = std::fs::read_to_string(&s.inv).unwrap().replace(
        "passkey_rp_id = \"login.microsoft.com\"",
        "passkey_rp_id = \"login.micr\u{43e}soft.com\"",
    );
    std::fs::write(&s.inv, text).unwrap();
    let out = run(&["--now", T0, "--json", "inventory", "validate", p(&s.inv)]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert!(rules_of(&v).contains(&"GK059".to_owned()), "{v}");
}

mod scripted;

#[test]
fn get_info_strings_from_a_hostile_key_are_shown_escaped_by_list_and_info() {
    use glasskey::ctap2::cbor::{bytes, int, text, Value};
    // versions, extensions and option names that, printed raw, would clear the screen and
    // forge a "PIN set" line.
    let forged = "FIDO_2_1\n\u{1b}[2J  PIN           set";
    let info = Value::Map(vec![
        (int(1), Value::Array(vec![text("FIDO_2_0"), text(forged)])),
        (int(2), Value::Array(vec![text("credProtect\u{202e}")])),
        (int(3), bytes(&[0x42; 16])),
        (
            int(4),
            Value::Map(vec![
                (text("rk"), Value::Bool(true)),
                (text("up\n\u{1b}]52;c;eA==\u{7}"), Value::Bool(true)),
            ]),
        ),
    ]);
    let reply = scripted::ok_reply(&info);
    let key = scripted::ScriptedKey::serve(
        scripted::authenticator("ctap22", 31_337_099),
        Box::new(move |r, _| match r.ctap_command() {
            Some(0x04) => scripted::Action::Reply(reply.clone()),
            _ => scripted::Action::Forward,
        }),
    );
    for command in ["list", "info"] {
        let out = binary::run(&["--device", &key.device, command], "");
        let screen = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(raw_hidden(&screen).is_empty(), "{command}: {screen}");
        assert!(
            screen.contains("FIDO_2_1\\n\\u{1b}[2J"),
            "{command}: {screen}"
        );
        let pin_lines = screen
            .lines()
            .filter(|l| l.starts_with("  PIN           "))
            .count();
        assert_eq!(
            pin_lines, 1,
            "{command}: one PIN line, the real one:\n{screen}"
        );
    }
    let out = binary::run(&["--device", &key.device, "info"], "");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("credProtect\\u{202e}"), "{screen}");
    assert!(screen.contains("up\\n\\u{1b}]52;c;eA==\\u{7}"), "{screen}");
}

/// Control, bidi and invisible characters are refused where an admin types inventory text
/// (enroll's label, custodian and location; account UPNs and names; retire notes): one line
/// saying which field and which character, exit 2, nothing written.
#[test]
fn hidden_characters_are_refused_at_input() {
    let s = setup("example.com", "someone@example.com", "Ana", "Safe 1");
    let before = std::fs::read(&s.inv).unwrap();
    for (flag, value, shown) in [
        ("--label", "X\u{1b}[31m\nY", "\\u{1b}"),
        ("--custodian", "Ana \u{202e}gnp.exe", "\\u{202e}"),
        ("--location", "Safe\u{200b}2", "\\u{200b}"),
    ] {
        let mut args = vec![
            "--device",
            &s.dev,
            "--now",
            T0,
            "enroll",
            "--inventory",
            p(&s.inv),
            "--label",
            "BG01-B",
            "--account",
            BG1,
            "--custodian",
            "C",
            "--location",
            "L",
            "--pin-stdin",
        ];
        let at = args.iter().position(|a| *a == flag).unwrap();
        args[at + 1] = value;
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| !l.contains("note:") && !l.contains("warning:"))
            .collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(
            lines[0].contains(flag) && lines[0].contains(shown.trim_start_matches('\\')),
            "{err}"
        );
        assert!(raw_hidden(&err).iter().all(|c| *c == '\n'), "{err:?}");
        assert_eq!(
            std::fs::read(&s.inv).unwrap(),
            before,
            "{flag}: nothing written"
        );
    }
    let out = run(&[
        "inventory",
        "add-account",
        p(&s.inv),
        "--upn",
        "bg-02@contoso.onmicrosoft.com\u{200b}",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&s.inv).unwrap(), before);
}

/// A label is how the admin names the key in PIN lines, on sheets and in the history: it must
/// be one that can be typed and told apart (HOSTILE-4 finding 8).
#[test]
fn labels_that_cannot_be_typed_or_told_apart_are_refused() {
    let s = setup("example.com", "someone@example.com", "Ana", "Safe 1");
    let before = std::fs::read(&s.inv).unwrap();
    let long = "X".repeat(65);
    for (label, says) in [
        ("", "empty"),
        (" BG01-B", "blanks"),
        ("BG01-B ", "blanks"),
        ("A=B", "'='"),
        ("2002", "digits only"),
        ("bg01-a", "BG01-A"),
        ("ＢＧ０１－Ａ", "BG01-A"),
        ("BG\u{2800}1", "\\u{2800}"),
        (long.as_str(), "64"),
        ("BG01 -A", "BG01-A"),
        ("ВG01-А", "BG01-A"),
        ("３１３３", "digits only"),
        ("٣٣", "digits only"),
    ] {
        let out = run(&[
            "--device",
            &s.dev,
            "--now",
            T0,
            "enroll",
            "--inventory",
            p(&s.inv),
            "--label",
            label,
            "--account",
            BG1,
            "--custodian",
            "C",
            "--location",
            "L",
            "--pin-stdin",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{label:?}: {err}");
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| !l.contains("note:") && !l.contains("warning:"))
            .collect();
        assert_eq!(lines.len(), 1, "{label:?}: {err}");
        assert!(
            lines[0].contains("--label") && lines[0].contains(says),
            "{label:?}: {err}"
        );
        assert_eq!(std::fs::read(&s.inv).unwrap(), before, "{label:?}");
    }
    // Egyptian hieroglyph format controls render as nothing too.
    let out = run(&[
        "inventory",
        "add-account",
        p(&s.inv),
        "--upn",
        "bg-02@contoso.onmicrosoft.com\u{13430}",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
