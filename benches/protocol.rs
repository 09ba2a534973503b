//! Protocol efficiency, counted at the transport seam from glasskey's own `-v` trace:
//! the HID reports each command exchanges against the protocol minimum (the commands the
//! operation needs, each framed in the fewest reports), plus wall time of an audit with 1 ms
//! per report, and start-up of `glasskey list` beside `fido2-token -L`.
//!
//! Run: cargo bench --bench protocol
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use glasskey::ctaphid::packet::reports_for;

const PIN: &str = "Kq7!mZ2p\n";
const INIT: u8 = 0x06;
const CBOR: u8 = 0x10;
const KEEPALIVE: u8 = 0x3B;
const READ_CONFIG: u8 = 0x42;

fn glasskey(args: &[&str], stdin: Option<&str>) -> (String, String, i32) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_glasskey"));
    c.args(args)
        .env_remove("GLASSKEY_VIRTUAL_KEYS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// One message seen in the trace.
struct Message {
    sent: bool,
    cmd: u8,
    len: usize,
    /// The CTAP2 command byte of a CBOR request.
    ctap: Option<u8>,
    reports: usize,
}

fn parse_trace(stderr: &str) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    for line in stderr.lines() {
        let (sent, hex) = match line.split_once(' ') {
            Some(("->", rest)) => (true, rest),
            Some(("<-", rest)) => (false, rest),
            _ => continue,
        };
        let bytes = hex::decode(hex.split_whitespace().next().unwrap()).unwrap();
        if bytes[4] & 0x80 != 0 {
            let cmd = bytes[4] & 0x7F;
            let len = usize::from(u16::from_be_bytes([bytes[5], bytes[6]]));
            let ctap = (sent && cmd == CBOR && bytes.len() > 7).then(|| bytes[7]);
            messages.push(Message {
                sent,
                cmd,
                len,
                ctap,
                reports: 1,
            });
        } else if let Some(last) = messages.iter_mut().rev().find(|m| m.sent == sent) {
            last.reports += 1;
        }
    }
    messages
}

fn name(cmd: u8, ctap: Option<u8>) -> String {
    match (cmd, ctap) {
        (INIT, _) => "INIT".into(),
        (READ_CONFIG, _) => "readConfig".into(),
        (CBOR, Some(0x04)) => "getInfo".into(),
        (CBOR, Some(0x06)) => "clientPIN".into(),
        (CBOR, Some(0x0A)) => "credMgmt".into(),
        (CBOR, Some(0x02)) => "getAssertion".into(),
        (c, t) => format!("{c:#04x}/{t:?}"),
    }
}

/// Observed reports, minimum reports for the expected commands, and whether the commands sent
/// were exactly the expected ones.
fn efficiency(messages: &[Message], expected: &[&str]) -> (usize, usize, bool) {
    let useful: Vec<&Message> = messages.iter().filter(|m| m.cmd != KEEPALIVE).collect();
    let observed: usize = useful.iter().map(|m| m.reports).sum();
    let requests: Vec<String> = useful
        .iter()
        .filter(|m| m.sent)
        .map(|m| name(m.cmd, m.ctap))
        .collect();
    let exact = requests == expected;
    if !exact {
        eprintln!("  commands sent: {requests:?}\n  expected:      {expected:?}");
    }
    // The minimum: each expected exchange (request and reply) in the fewest reports.
    let mut minimum = 0;
    let mut want = expected.iter().peekable();
    let mut pending_reply = false;
    for m in &useful {
        if m.sent && want.peek().is_some_and(|w| **w == name(m.cmd, m.ctap)) {
            want.next();
            minimum += reports_for(m.len);
            pending_reply = true;
        } else if !m.sent && pending_reply {
            minimum += reports_for(m.len);
            pending_reply = false;
        }
    }
    (observed, minimum, exact)
}

fn setup(dir: &Path, credentials: usize) -> String {
    let key = dir.join(format!("k{credentials}.json"));
    let k = key.to_str().unwrap().to_owned();
    glasskey(&["virtual", "create", &k, "--pin-stdin"], Some(PIN));
    for i in 0..credentials {
        glasskey(
            &[
                "virtual",
                "register",
                &k,
                "--user",
                &format!("user{i:02}@contoso.onmicrosoft.com"),
                "--pin-stdin",
            ],
            Some(PIN),
        );
    }
    k
}

fn row(label: &str, stderr: &str, expected: &[&str]) {
    let (observed, minimum, exact) = efficiency(&parse_trace(stderr), expected);
    println!(
        "{label:<28} {observed:>9} {minimum:>9} {:>7.2} {:>8}",
        observed as f64 / minimum.max(1) as f64,
        if exact { "yes" } else { "NO" }
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:<28} {:>9} {:>9} {:>7} {:>8}",
        "operation", "reports", "minimum", "ratio", "exact"
    );
    let k1 = setup(dir.path(), 1);
    let dev = |k: &str| format!("virtual:{k}");
    let (_, err, _) = glasskey(&["-v", "--device", &dev(&k1), "info"], None);
    row("info", &err, &["INIT", "getInfo", "readConfig"]);
    let (_, err, _) = glasskey(&["-v", "--device", &dev(&k1), "pin", "status"], None);
    row("pin status", &err, &["INIT", "getInfo", "clientPIN"]);
    for n in [1usize, 10, 50] {
        let k = if n == 1 {
            k1.clone()
        } else {
            setup(dir.path(), n)
        };
        let (_, err, _) = glasskey(
            &["-v", "--device", &dev(&k), "creds", "--pin-stdin"],
            Some(PIN),
        );
        let mut expected = vec![
            "INIT",
            "getInfo",
            "clientPIN",
            "clientPIN",
            "clientPIN",
            "credMgmt",
            "credMgmt",
            "credMgmt",
        ];
        expected.extend(std::iter::repeat_n("credMgmt", n - 1));
        row(&format!("creds, {n} passkey(s)"), &err, &expected);
    }
    // A full audit of one enrolled key.
    let inv = dir.path().join("bg.toml");
    let inv = inv.to_str().unwrap();
    glasskey(
        &[
            "inventory",
            "init",
            inv,
            "--tenant",
            "contoso.onmicrosoft.com",
            "--account",
            "user00@contoso.onmicrosoft.com",
            "--min-keys",
            "1",
        ],
        None,
    );
    glasskey(
        &[
            "--device",
            &dev(&k1),
            "enroll",
            "--inventory",
            inv,
            "--label",
            "K1",
            "--account",
            "user00@contoso.onmicrosoft.com",
            "--custodian",
            "C",
            "--location",
            "L",
        ],
        None,
    );
    let (_, err, code) = glasskey(
        &[
            "-v",
            "--device",
            &dev(&k1),
            "audit",
            "--inventory",
            inv,
            "--pin-stdin",
        ],
        Some(PIN),
    );
    assert_eq!(code, 0, "the audit should pass");
    let audit_expected = [
        "INIT",
        "getInfo",
        "readConfig",
        "getAssertion",
        "clientPIN",
        "clientPIN",
        "clientPIN",
        "credMgmt",
        "credMgmt",
    ];
    row("audit of one key", &err, &audit_expected);
    let audit_trace = parse_trace(&err);
    let (_, minimum, _) = efficiency(&audit_trace, &audit_expected);
    let received_min: usize = audit_trace
        .iter()
        .filter(|m| !m.sent && m.cmd != KEEPALIVE)
        .map(|m| reports_for(m.len))
        .sum();

    // Wall time with 1 ms per report received.
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&k1).unwrap()).unwrap();
    state["faults"] = serde_json::json!({ "latency_ms": 1 });
    std::fs::write(&k1, state.to_string()).unwrap();
    let times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let (_, _, code) = glasskey(
                &[
                    "--device",
                    &dev(&k1),
                    "audit",
                    "--inventory",
                    inv,
                    "--pin-stdin",
                ],
                Some(PIN),
            );
            assert_eq!(code, 0);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    println!();
    // The virtual key's latency knob delays each report it sends; requests go out undelayed.
    println!(
        "audit of one key, 1 ms latency per report from the key: median {:.1} ms; floor {received_min} reports from the key × 1 ms = {received_min} ms (all {minimum} reports × 1 ms = {minimum} ms)",
        median(times)
    );

    // Start-up with no key attached.
    let runs = 20;
    let ours: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            glasskey(&["list"], None);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    print!(
        "start-up, no key attached: glasskey list median {:.1} ms",
        median(ours)
    );
    if Command::new("fido2-token").arg("-L").output().is_ok() {
        let theirs: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let _ = Command::new("fido2-token").arg("-L").output();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        println!(
            ", fido2-token -L median {:.1} ms (same run, {runs} runs each)",
            median(theirs)
        );
    } else {
        println!("; fido2-token not installed (apt-get install fido2-tools) — no comparison");
    }
}
