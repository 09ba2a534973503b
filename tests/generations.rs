//! Every key generation in the field, through the binary: each test drives a virtual key
//! profile that reproduces one firmware behaviour (a strict CTAP 2.0 key, an empty-body
//! credential store, passkeys of other algorithms, tight allow-list limits, a key that always
//! asks for a touch, a key that cannot wink) and checks what glasskey makes of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const PIN: &str = "Kq7!mZ2p";
const BG1: &str = "bg-01@contoso.onmicrosoft.com";
const T0: &str = "2026-11-25T10:00:00Z";

fn glasskey() -> Command {
    common::bin::glasskey()
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = glasskey();
    c.args(args);
    if let Some(s) = stdin {
        c.write_stdin(s.to_owned());
    }
    c.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(args: &[&str], stdin: Option<&str>) -> Output {
    let out = run(args, stdin);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    out
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn dev(path: &Path) -> String {
    format!("virtual:{}", path.display())
}

fn pin_line() -> String {
    format!("{PIN}\n")
}

fn new_key(dir: &Path, name: &str, profile: &str, with_pin: bool) -> PathBuf {
    let k = dir.join(name);
    let mut args = vec!["virtual", "create", p(&k), "--profile", profile];
    if with_pin {
        args.push("--pin-stdin");
    }
    ok(&args, with_pin.then(pin_line).as_deref());
    k
}

fn register(key: &Path, rp: &str, user: &str) {
    ok(
        &[
            "virtual",
            "register",
            p(key),
            "--rp",
            rp,
            "--user",
            user,
            "--pin-stdin",
        ],
        Some(&pin_line()),
    );
}

fn edit_state(path: &Path, f: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// An inventory with one account and the key enrolled as BG01-A.
fn enrolled(dir: &Path, key: &Path) -> PathBuf {
    let inv = dir.join("bg.toml");
    ok(
        &[
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
        ],
        None,
    );
    common::bin::enroll_virtual(&inv, key, "BG01-A", BG1, "Safe 1");
    inv
}

fn audit(key: &Path, inv: &Path, extra: &[&str]) -> Output {
    let device = dev(key);
    let mut args = vec![
        "--device",
        &device,
        "--now",
        T0,
        "audit",
        "--inventory",
        p(inv),
        "--pin-stdin",
    ];
    args.extend_from_slice(extra);
    run(&args, Some(&pin_line()))
}

/// The CTAPHID requests glasskey sent, from its `-v` trace: (command, first report's payload).
/// PIN-bearing requests show only their header, so their payload is what is left of it.
fn sent_requests(stderr: &[u8]) -> Vec<(u8, Vec<u8>)> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("-> "))
        .filter_map(|l| hex::decode(l.split_whitespace().next()?).ok())
        .filter(|r| r.len() >= 7 && r[4] & 0x80 != 0)
        .map(|r| (r[4] & 0x7F, r[7..].to_vec()))
        .collect()
}

/// CBOR requests (CTAPHID 0x10) as (CTAP command, CBOR parameters of the first report).
fn sent_cbor(stderr: &[u8]) -> Vec<(u8, Vec<u8>)> {
    sent_requests(stderr)
        .into_iter()
        .filter(|(c, p)| *c == 0x10 && !p.is_empty())
        .map(|(_, p)| (p[0], p[1..].to_vec()))
        .collect()
}

/// Credential management (0x0A, or the 0x41 prototype) requests by subcommand.
fn cred_mgmt_subcommands(stderr: &[u8]) -> Vec<u8> {
    sent_cbor(stderr)
        .into_iter()
        .filter(|(c, _)| *c == 0x0A || *c == 0x41)
        .filter_map(|(_, p)| {
            // A map whose first entry is 1: subCommand (a small unsigned integer).
            (p.len() >= 3 && p[1] == 0x01).then_some(p[2])
        })
        .collect()
}

// ---- CTAP 2.0 strictness ----------------------------------------------------------------

#[test]
fn strict_ctap20_key_gets_pin_protocol_on_get_pin_retries() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "ctap20-strict", true);
    let out = run(
        &["--device", &dev(&key), "--json", "-v", "pin", "status"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json_of(&out)["retries"], 8);
    // clientPIN {1: 1, 2: 1}: pinProtocol 1, getPINRetries (CTAP 2.0 §5.5.3).
    let client_pin: Vec<Vec<u8>> = sent_cbor(&out.stderr)
        .into_iter()
        .filter(|(c, _)| *c == 0x06)
        .map(|(_, p)| p)
        .collect();
    assert_eq!(client_pin[0][..5], [0xA2, 0x01, 0x01, 0x02, 0x01]);

    // Everything that reads retries works on such a key: verify, passkeys, enroll, audit.
    ok(
        &["--device", &dev(&key), "pin", "verify", "--pin-stdin"],
        Some(&pin_line()),
    );
    register(&key, "login.microsoft.com", BG1);
    let creds = ok(
        &["--device", &dev(&key), "--json", "creds", "--pin-stdin"],
        Some(&pin_line()),
    );
    assert_eq!(json_of(&creds)["credentials"][0]["user_name"], BG1);
    let inv = enrolled(dir.path(), &key);
    let out = audit(&key, &inv, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

// ---- Empty credential stores ------------------------------------------------------------

#[test]
fn empty_body_credential_store_is_no_passkeys_for_creds_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "empty-store-body", true);
    let out = run(
        &["--device", &dev(&key), "--json", "creds", "--pin-stdin"],
        Some(&pin_line()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json_of(&out);
    assert_eq!(v["slots_used"], 0);
    assert_eq!(v["credentials"], serde_json::json!([]));

    // A freshly enrolled key with no passkey can be audited, and the audit is recorded.
    let inv = enrolled(dir.path(), &key);
    let out = audit(&key, &inv, &["--json"]);
    assert_ne!(out.status.code(), Some(3), "{}", text(&out));
    let saved = std::fs::read_to_string(&inv).unwrap();
    assert!(saved.contains("passkeys = []"), "{saved}");
}

#[test]
fn nobody_enumerates_a_store_whose_metadata_count_is_zero() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "empty-store-body", true);
    let out = ok(
        &["--device", &dev(&key), "-v", "creds", "--pin-stdin"],
        Some(&pin_line()),
    );
    // getCredsMetadata (1) only; no enumerateRPsBegin (2).
    assert_eq!(
        cred_mgmt_subcommands(&out.stderr),
        vec![1],
        "{}",
        text(&out)
    );

    let inv = enrolled(dir.path(), &key);
    let out = audit(&key, &inv, &["-v"]);
    assert_eq!(
        cred_mgmt_subcommands(&out.stderr),
        vec![1],
        "{}",
        text(&out)
    );
}

#[test]
fn empty_body_enumeration_is_no_passkeys_even_when_the_count_said_otherwise() {
    // The metadata claims passkeys (fault knob), so glasskey enumerates, and the key answers
    // enumerateRPsBegin with a bare CTAP2_OK: that reads as "none", not a broken reply; but a
    // count of 2 with none listed is a warning (exit 1): nothing confirms what the key holds.
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "empty-store-body", true);
    edit_state(&key, |v| {
        v["faults"] = serde_json::json!({ "claim_total": 2 })
    });
    let out = run(
        &[
            "--device",
            &dev(&key),
            "--json",
            "-v",
            "creds",
            "--pin-stdin",
        ],
        Some(&pin_line()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(cred_mgmt_subcommands(&out.stderr), vec![1, 2]);
    assert_eq!(json_of(&out)["credentials"], serde_json::json!([]));
    assert!(
        json_of(&out)["warning"]
            .as_str()
            .unwrap()
            .contains("counts 2 passkeys but listed none"),
        "{}",
        text(&out)
    );
}

// ---- PIN protocol choice and side effects -----------------------------------------------

#[test]
fn pin_protocol_follows_the_keys_order_of_preference() {
    // small-limits lists pinUvAuthProtocols [1, 2]: protocol 1 is its first choice.
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "small-limits", true);
    let out = ok(
        &["--device", &dev(&key), "-v", "pin", "verify", "--pin-stdin"],
        Some(&pin_line()),
    );
    // getKeyAgreement {1: protocol, 2: 2}.
    let agreement: Vec<Vec<u8>> = sent_cbor(&out.stderr)
        .into_iter()
        .filter(|(c, p)| *c == 0x06 && p.len() >= 5 && p[3..5] == [0x02, 0x02])
        .map(|(_, p)| p)
        .collect();
    assert_eq!(agreement.len(), 1, "{}", text(&out));
    assert_eq!(agreement[0][..3], [0xA2, 0x01, 0x01], "protocol 1 first");
}

/// The key's saved state, less the signature counter (every assertion moves it; that is the
/// key's own bookkeeping, not something glasskey changed).
fn state_without_counter(path: &Path) -> Value {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("sign_count");
    v
}

#[test]
fn read_only_commands_leave_the_key_as_they_found_it() {
    // ctap22 offers the CTAP 2.2 persistent read-only token; asking for one would replace the
    // token another tool saved on the key.
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "ctap22", true);
    register(&key, "login.microsoft.com", BG1);
    let inv = enrolled(dir.path(), &key);
    edit_state(&key, |v| {
        v["persistent_token"] = "00112233445566778899aabbccddeeff".into()
    });
    let before = state_without_counter(&key);
    let d = dev(&key);
    let pin = pin_line();
    let runs: [(&[&str], Option<&str>); 7] = [
        (&["--device", &d, "list"], None),
        (&["--device", &d, "info"], None),
        (&["--device", &d, "pin", "status"], None),
        (
            &["--device", &d, "pin", "verify", "--pin-stdin"],
            Some(&pin),
        ),
        (&["--device", &d, "creds", "--pin-stdin"], Some(&pin)),
        (&["--device", &d, "identify", "--inventory", p(&inv)], None),
        (
            &[
                "--device",
                &d,
                "--now",
                T0,
                "audit",
                "--inventory",
                p(&inv),
                "--pin-stdin",
            ],
            Some(&pin),
        ),
    ];
    for (args, stdin) in runs {
        let out = run(args, stdin);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            text(&out)
        );
        assert_eq!(
            state_without_counter(&key),
            before,
            "{args:?} changed the key"
        );
    }

    // Asked for explicitly, the persistent token is used (and replaces the saved one).
    ok(
        &["--device", &d, "creds", "--persistent-token", "--pin-stdin"],
        Some(&pin),
    );
    assert_ne!(
        state_without_counter(&key)["persistent_token"],
        before["persistent_token"]
    );
}

// ---- Vendor commands ----------------------------------------------------------------------

/// CTAPHID vendor commands (0x40-0x7F) glasskey sent.
fn vendor_commands(stderr: &[u8]) -> Vec<u8> {
    sent_requests(stderr)
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| (0x40..=0x7F).contains(c))
        .collect()
}

#[test]
fn vendor_commands_go_only_to_that_vendors_keys() {
    let dir = tempfile::tempdir().unwrap();
    // A non-Yubico key (USB vendor 0x096e): 0xC2 may mean anything to its firmware.
    let other = new_key(dir.path(), "other.json", "ctap21-pre", false);
    for command in ["list", "info"] {
        let out = ok(&["--device", &dev(&other), "-v", "--json", command], None);
        assert_eq!(vendor_commands(&out.stderr), Vec::<u8>::new(), "{command}");
    }
    // A YubiKey (USB vendor 0x1050) is asked once, and its serial is read.
    let yubikey = new_key(dir.path(), "yk.json", "yubikey-5.7", false);
    let out = ok(&["--device", &dev(&yubikey), "-v", "--json", "list"], None);
    assert_eq!(vendor_commands(&out.stderr), vec![0x42]);
    assert!(json_of(&out)[0]["vendor_serial"].is_u64());
}

#[test]
fn the_vendor_table_decides_by_usb_id_then_by_aaguid() {
    use glasskey::vendor::reader_for;
    let yubico_aaguid = "2fc0579f-8113-47ea-b116-bb5a8db9202a";
    assert_eq!(reader_for(Some(0x1050), "").unwrap().vendor, "Yubico");
    // A USB id decides: a Yubico AAGUID on another vendor's USB id gets no vendor command.
    assert!(reader_for(Some(0x20A0), yubico_aaguid).is_none());
    // Without USB ids (UDP), the AAGUID decides.
    assert_eq!(reader_for(None, yubico_aaguid).unwrap().vendor, "Yubico");
    assert!(reader_for(None, "676b7600-0000-4000-8000-000000000021").is_none());
    // Every virtual profile that answers read-config is recognised over UDP too.
    for p in glasskey::virtual_key::profile::PROFILES {
        let reader = reader_for(None, p.aaguid);
        assert_eq!(reader.is_some(), p.yubikey_config, "{}", p.name);
    }
}

// ---- Credential algorithms ----------------------------------------------------------------

#[test]
fn passkeys_of_every_algorithm_are_listed_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "mixed-algorithms", true);
    // ES256, ES384, ES512, EdDSA, RS256, PS256, ML-DSA-44 and a private-use number.
    let algorithms = [-7, -35, -36, -8, -257, -37, -48, -65537];
    for i in 0..algorithms.len() {
        register(
            &key,
            "login.microsoft.com",
            &format!("user{i}@contoso.onmicrosoft.com"),
        );
    }
    edit_state(&key, |v| {
        for (c, alg) in v["credentials"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .zip(algorithms)
        {
            c["algorithm"] = alg.into();
        }
    });
    let out = run(
        &["--device", &dev(&key), "--json", "creds", "--pin-stdin"],
        Some(&pin_line()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed = json_of(&out)["credentials"].as_array().unwrap().clone();
    assert_eq!(listed.len(), algorithms.len());
    let mut seen: Vec<(i64, String)> = listed
        .iter()
        .map(|c| {
            assert_eq!(c["public_key_sha256"].as_str().unwrap().len(), 64, "{c}");
            (
                c["algorithm"].as_i64().unwrap(),
                c["algorithm_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let names: Vec<&str> = seen.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "COSE algorithm -65537 (unknown to glasskey)",
            "RS256 (RSA PKCS#1 v1.5 SHA-256)",
            "ML-DSA-44",
            "PS256 (RSA PSS SHA-256)",
            "ES512 (ECDSA P-521 SHA-512)",
            "ES384 (ECDSA P-384 SHA-384)",
            "EdDSA (Ed25519)",
            "ES256 (ECDSA P-256 SHA-256)",
        ]
    );
    // Same key material, same hash: the hash is of the key, not of the listing.
    let hashes: std::collections::BTreeSet<&str> = listed
        .iter()
        .map(|c| c["public_key_sha256"].as_str().unwrap())
        .collect();
    assert_eq!(hashes.len(), algorithms.len());

    let human = ok(
        &["--device", &dev(&key), "creds", "--pin-stdin"],
        Some(&pin_line()),
    );
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(human.contains("algorithm   ML-DSA-44 [-48]"), "{human}");
    assert!(
        human.contains("algorithm   COSE algorithm -65537 (unknown to glasskey)"),
        "{human}"
    );

    // The audit records every passkey, whatever its algorithm.
    let inv = enrolled(dir.path(), &key);
    let out = audit(&key, &inv, &["--json"]);
    assert_ne!(out.status.code(), Some(3), "{}", text(&out));
    let saved = std::fs::read_to_string(&inv).unwrap();
    for i in 0..algorithms.len() {
        assert!(
            saved.contains(&format!("user{i}@contoso.onmicrosoft.com")),
            "{saved}"
        );
    }
}

// ---- Allow-list limits ----------------------------------------------------------------------

#[test]
fn identify_keeps_to_the_keys_allow_list_limits() {
    use base64::Engine;
    // small-limits takes at most 2 IDs of at most 80 bytes per allow list, and refuses more.
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "small-limits", true);
    let inv = enrolled(dir.path(), &key);
    // Four other keys come first in the inventory: two with 96-byte identity credential IDs
    // (another model's), two with 65-byte ones.
    let text_before = std::fs::read_to_string(&inv).unwrap();
    let at = text_before.find("[[key]]").unwrap();
    let genuine = &text_before[at..];
    let original_id = genuine
        .lines()
        .find_map(|l| l.strip_prefix("credential_id = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    let mut others = String::new();
    for (i, len) in [96usize, 65, 96, 65].into_iter().enumerate() {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vec![i as u8 + 1; len]);
        others.push_str(
            &genuine
                .replace("BG01-A", &format!("BG01-X{i}"))
                .replace(&original_id, &id),
        );
        others.push('\n');
    }
    std::fs::write(&inv, format!("{}{others}{genuine}", &text_before[..at])).unwrap();
    let out = run(
        &[
            "--device",
            &dev(&key),
            "--json",
            "-v",
            "identify",
            "--inventory",
            p(&inv),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json_of(&out);
    assert_eq!(v["label"], "BG01-A");
    assert_eq!(v["signature_valid"], true);
    // Two 65-byte IDs in the first request, the genuine one in the second; no 96-byte ID sent.
    let assertions = sent_cbor(&out.stderr)
        .into_iter()
        .filter(|(c, _)| *c == 0x02)
        .count();
    assert_eq!(assertions, 2, "{}", text(&out));
}

// ---- What the admin sees -------------------------------------------------------------------

const TOUCH_PROMPT: &str = "Touch your key now.";

#[test]
fn touch_prompt_only_for_requests_that_need_a_touch() {
    // always-upneeded sends KEEPALIVE UPNEEDED before every reply, even getInfo.
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "always-upneeded", true);
    let inv = enrolled(dir.path(), &key);
    for args in [
        vec!["--device", &dev(&key), "info"],
        vec!["--device", &dev(&key), "identify", "--inventory", p(&inv)],
    ] {
        let out = ok(&args, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains(TOUCH_PROMPT), "{args:?}: {stderr}");
    }
    // makeCredential does need a touch: the prompt is shown.
    let out = ok(
        &[
            "virtual",
            "register",
            p(&key),
            "--rp",
            "example.com",
            "--user",
            "u",
            "--pin-stdin",
        ],
        Some(&pin_line()),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(TOUCH_PROMPT));
}

#[test]
fn info_shows_a_dash_for_every_field_the_key_left_out() {
    // ctap20-strict's getInfo has CTAP 2.0's fields only: no extensions, transports,
    // algorithms or allow-list limits.
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "ctap20-strict", true);
    let out = ok(&["--device", &dev(&key), "info"], None);
    let human = String::from_utf8_lossy(&out.stdout);
    for label in ["algorithms", "extensions", "transports", "min PIN length"] {
        let line = human
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line: {human}"));
        assert!(line.trim_end().ends_with(" -"), "{line:?}");
    }
    assert!(
        human.contains("allow list    - IDs of up to - bytes"),
        "{human}"
    );
    for line in human.lines() {
        assert_eq!(line, line.trim_end(), "a line with nothing after its label");
    }
}

#[test]
fn info_names_every_algorithm_with_the_number_the_key_sent() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "mixed-algorithms", false);
    let out = ok(&["--device", &dev(&key), "info"], None);
    let human = String::from_utf8_lossy(&out.stdout);
    let line = human
        .lines()
        .find(|l| l.trim_start().starts_with("algorithms"))
        .unwrap();
    for shown in [
        "ES256 (ECDSA P-256 SHA-256) [-7]",
        "ES384 (ECDSA P-384 SHA-384) [-35]",
        "RS256 (RSA PKCS#1 v1.5 SHA-256) [-257]",
        "ML-DSA-44 [-48]",
        "COSE algorithm -65537 (unknown to glasskey)",
    ] {
        assert!(line.contains(shown), "{shown} in {line}");
    }
}

#[test]
fn wink_on_a_key_without_wink_is_a_missing_feature_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key(dir.path(), "k.json", "ctap20-strict", false);
    let out = run(&["--device", &dev(&key), "wink"], None);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot wink"), "{stderr}");
    assert!(stderr.contains("WINK capability"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    // A key that can wink does.
    let other = new_key(dir.path(), "o.json", "yubikey-5.7", false);
    ok(&["--device", &dev(&other), "wink"], None);
    // --help says so.
    let help = ok(&["wink", "--help"], None);
    assert!(String::from_utf8_lossy(&help.stdout).contains("exits 5"));
}

#[test]
fn a_udp_simulator_that_is_not_running_is_reported_as_such() {
    // A port nobody listens on: bind one, note it, let it go.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let device = format!("udp:127.0.0.1:{port}");
    let out = run(&["--device", &device, "--timeout", "20", "info"], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(
        stderr.contains("virtual serve"),
        "says what to do: {stderr}"
    );
}
