//! What each operation sends, counted at the transport seam from glasskey's own `-v` trace
//! against a virtual key: messages and 64-byte reports each way, keepalives, and the exact list
//! of requests, compared with the requests a spec-minimal client must send (written from CTAP
//! 2.1's requirements in `SpecMinimal`, not from glasskey's trace). Plus wall time of an audit
//! with 1 ms per report, and start-up of `glasskey list` beside `fido2-token -L`.
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

/// One CTAPHID message seen in the trace.
struct Message {
    sent: bool,
    cmd: u8,
    /// The payload length the initialization packet declares.
    len: usize,
    /// The payload as far as the trace shows it (PIN-bearing messages are redacted).
    payload: Vec<u8>,
    redacted: bool,
    reports: usize,
}

fn parse_trace(stderr: &str) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    for line in stderr.lines() {
        let (sent, rest) = match line.split_once(' ') {
            Some(("->", rest)) => (true, rest),
            Some(("<-", rest)) => (false, rest),
            _ => continue,
        };
        let redacted = rest.contains("[PIN material redacted]");
        let bytes = hex::decode(rest.split_whitespace().next().unwrap()).unwrap();
        if bytes[4] & 0x80 != 0 {
            let len = usize::from(u16::from_be_bytes([bytes[5], bytes[6]]));
            messages.push(Message {
                sent,
                cmd: bytes[4] & 0x7F,
                len,
                payload: bytes[7..].to_vec(),
                redacted,
                reports: 1,
            });
        } else if let Some(last) = messages.iter_mut().rev().find(|m| m.sent == sent) {
            last.reports += 1;
            last.payload.extend_from_slice(&bytes[5..]);
        }
    }
    for m in &mut messages {
        m.payload.truncate(m.len);
    }
    messages
}

/// The integer-keyed field `key` of a CBOR request map (the subcommand of clientPIN/credMgmt).
fn map_field(cbor: &[u8], key: i64) -> Option<u64> {
    let value: ciborium::Value = ciborium::de::from_reader(cbor).ok()?;
    value.as_map()?.iter().find_map(|(k, v)| {
        (k.as_integer()? == key.into()).then(|| u64::try_from(v.as_integer()?).ok())?
    })
}

/// A request's name: CTAPHID command, CTAP2 command and, where it has one, subcommand
/// (CTAP 2.1 §6.5.5 and §6.8). A clientPIN request the trace redacts carries a PIN: in the
/// operations measured here that is only ever the token request (0x05 or 0x09, hidden).
fn name(m: &Message) -> String {
    match m.cmd {
        INIT => return "INIT".into(),
        READ_CONFIG => return "vendor:readConfig".into(),
        CBOR => {}
        other => return format!("ctaphid:{other:#04x}"),
    }
    let Some((&ctap, body)) = m.payload.split_first() else {
        return "cbor:empty".into();
    };
    match ctap {
        0x04 => "getInfo".into(),
        0x02 => "getAssertion".into(),
        0x01 => "makeCredential".into(),
        0x06 if m.redacted => "clientPIN:getPinUvAuthToken".into(),
        0x06 => match map_field(body, 2) {
            Some(1) => "clientPIN:getPINRetries".into(),
            Some(2) => "clientPIN:getKeyAgreement".into(),
            Some(7) => "clientPIN:getUVRetries".into(),
            other => format!("clientPIN:{other:?}"),
        },
        0x0A | 0x41 => match map_field(body, 1) {
            Some(1) => "credMgmt:getCredsMetadata".into(),
            Some(2) => "credMgmt:enumerateRPsBegin".into(),
            Some(3) => "credMgmt:enumerateRPsGetNextRP".into(),
            Some(4) => "credMgmt:enumerateCredentialsBegin".into(),
            Some(5) => "credMgmt:enumerateCredentialsGetNextCredential".into(),
            other => format!("credMgmt:{other:?}"),
        },
        other => format!("ctap2:{other:#04x}"),
    }
}

/// Why glasskey sends a command the spec-minimal client would not.
fn reason(command: &str) -> &'static str {
    match command {
        "vendor:readConfig" => "YubiKey serial and firmware; a vendor command, not CTAP",
        "clientPIN:getPINRetries" => "retries are read before any PIN is sent (DESIGN §3.1)",
        "credMgmt:getCredsMetadata" => {
            "the passkey count and free slots: shown, and an empty store is never enumerated"
        }
        _ => "not explained",
    }
}

/// The requests a client must send for an operation, from CTAP 2.1's requirements alone:
/// - every exchange needs a channel: CTAPHID_INIT on the broadcast channel (§11.2.9.1.3);
/// - whether a PIN is set, which PIN protocols and whether credential management exist are only
///   in authenticatorGetInfo (§6.4), so anything that depends on them starts there;
/// - the retry counter is only in clientPIN getPINRetries (§6.5.5.2);
/// - a pinUvAuthToken needs the key's key-agreement key (getKeyAgreement, §6.5.5.4) and then one
///   token request with the cm permission (§6.5.5.7);
/// - listing discoverable credentials is enumerateRPsBegin, then enumerateRPsGetNextRP for each
///   further RP (§6.8.3), and per RP enumerateCredentialsBegin, then ...GetNextCredential for
///   each further credential (§6.8.4); getCredsMetadata (§6.8.2) is optional;
/// - proving a recorded non-discoverable credential is one getAssertion with it in the
///   allowList (§6.2).
struct SpecMinimal {
    /// One entry per relying party: how many credentials it holds.
    credentials_per_rp: Vec<usize>,
}

impl SpecMinimal {
    fn list_credentials(&self) -> Vec<String> {
        let mut list = vec![
            "clientPIN:getKeyAgreement".to_owned(),
            "clientPIN:getPinUvAuthToken".to_owned(),
        ];
        for (i, &creds) in self.credentials_per_rp.iter().enumerate() {
            list.push(
                if i == 0 {
                    "credMgmt:enumerateRPsBegin"
                } else {
                    "credMgmt:enumerateRPsGetNextRP"
                }
                .into(),
            );
            list.push("credMgmt:enumerateCredentialsBegin".into());
            list.extend(
                std::iter::repeat_n("credMgmt:enumerateCredentialsGetNextCredential", creds - 1)
                    .map(str::to_owned),
            );
        }
        list
    }

    /// `info`: what the key says about itself.
    fn info() -> Vec<String> {
        vec!["INIT".into(), "getInfo".into()]
    }

    /// `pin status`: is a PIN set, and how many retries are left.
    fn pin_status() -> Vec<String> {
        vec![
            "INIT".into(),
            "getInfo".into(),
            "clientPIN:getPINRetries".into(),
        ]
    }

    /// `creds`: the discoverable credentials, with the PIN.
    fn creds(&self) -> Vec<String> {
        let mut list = vec!["INIT".to_owned(), "getInfo".to_owned()];
        list.extend(self.list_credentials());
        list
    }

    /// `audit` of one enrolled key: identity proof, PIN state, the passkeys.
    fn audit(&self) -> Vec<String> {
        let mut list = vec![
            "INIT".to_owned(),
            "getInfo".to_owned(),
            "getAssertion".to_owned(),
            "clientPIN:getPINRetries".to_owned(),
        ];
        list.extend(self.list_credentials());
        list
    }
}

/// What one operation exchanged, and how its requests compare with the spec-minimal list.
struct Measured {
    label: String,
    messages_out: usize,
    messages_in: usize,
    reports_out: usize,
    reports_in: usize,
    keepalives: usize,
    sent: Vec<String>,
    extra: Vec<String>,
    missing: Vec<String>,
}

/// Multiset difference: the entries of `a` left after removing one match per entry of `b`.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut left = b.to_vec();
    a.iter()
        .filter(|x| match left.iter().position(|y| y == *x) {
            Some(i) => {
                left.remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

fn measure(label: &str, stderr: &str, minimal: &[String]) -> Measured {
    let messages = parse_trace(stderr);
    let (keepalive, useful): (Vec<&Message>, Vec<&Message>) =
        messages.iter().partition(|m| m.cmd == KEEPALIVE);
    let sent: Vec<String> = useful.iter().filter(|m| m.sent).map(|m| name(m)).collect();
    let count = |out: bool| useful.iter().filter(|m| m.sent == out).count();
    let reports = |out: bool| -> usize {
        useful
            .iter()
            .filter(|m| m.sent == out)
            .map(|m| m.reports)
            .sum()
    };
    // Framing check: every message used exactly the reports its length needs.
    for m in &useful {
        assert_eq!(
            m.reports,
            reports_for(m.len),
            "{label}: {} reports",
            name(m)
        );
    }
    Measured {
        label: label.into(),
        messages_out: count(true),
        messages_in: count(false),
        reports_out: reports(true),
        reports_in: reports(false),
        keepalives: keepalive.len(),
        extra: minus(&sent, minimal),
        missing: minus(minimal, &sent),
        sent,
    }
}

/// Consecutive repeats written once with a count: `a, b ×49`.
fn runs(list: &[String]) -> Vec<String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for item in list {
        match out.last_mut() {
            Some((last, n)) if last == item => *n += 1,
            _ => out.push((item.clone(), 1)),
        }
    }
    out.into_iter()
        .map(|(item, n)| {
            if n == 1 {
                item
            } else {
                format!("{item} ×{n}")
            }
        })
        .collect()
}

fn print_table(rows: &[Measured]) {
    println!(
        "{:<24} {:>8} {:>8} {:>8} {:>8} {:>5}  beyond the spec minimum / missing from it",
        "operation", "msgs out", "msgs in", "rpts out", "rpts in", "k.a."
    );
    for r in rows {
        let extra = if r.extra.is_empty() {
            "none".into()
        } else {
            r.extra.join(", ")
        };
        let missing = if r.missing.is_empty() {
            "none".into()
        } else {
            r.missing.join(", ")
        };
        println!(
            "{:<24} {:>8} {:>8} {:>8} {:>8} {:>5}  +{extra} / -{missing}",
            r.label, r.messages_out, r.messages_in, r.reports_out, r.reports_in, r.keepalives
        );
    }
    println!();
    for r in rows {
        println!("{}: {}", r.label, runs(&r.sent).join(", "));
    }
    let mut reasons: Vec<&String> = rows.iter().flat_map(|r| &r.extra).collect();
    reasons.sort();
    reasons.dedup();
    println!();
    for c in reasons {
        println!("+{c}: {}", reason(c));
    }
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The audits measured must not consult a BLOB the user imported: inherited by every child.
    std::env::set_var("GLASSKEY_DATA_DIR", dir.path().join("data"));
    let mut rows = Vec::new();
    let k1 = setup(dir.path(), 1);
    let dev = |k: &str| format!("virtual:{k}");
    let (_, err, _) = glasskey(&["info", "-v", "--device", &dev(&k1)], None);
    rows.push(measure("info", &err, &SpecMinimal::info()));
    let (_, err, _) = glasskey(&["pin", "status", "-v", "--device", &dev(&k1)], None);
    rows.push(measure("pin status", &err, &SpecMinimal::pin_status()));
    for n in [1usize, 10, 50] {
        let k = if n == 1 {
            k1.clone()
        } else {
            setup(dir.path(), n)
        };
        let (_, err, _) = glasskey(
            &["creds", "-v", "--device", &dev(&k), "--pin-stdin"],
            Some(PIN),
        );
        // setup() registers every passkey for one relying party, login.microsoft.com.
        let spec = SpecMinimal {
            credentials_per_rp: vec![n],
        };
        rows.push(measure(
            &format!("creds, {n} passkey(s)"),
            &err,
            &spec.creds(),
        ));
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
            "--allow-software-keys",
        ],
        None,
    );
    glasskey(
        &[
            "enroll",
            "--device",
            &dev(&k1),
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
            "audit",
            "-v",
            "--device",
            &dev(&k1),
            "--inventory",
            inv,
            "--pin-stdin",
        ],
        Some(PIN),
    );
    assert_eq!(code, 0, "the audit should pass: {err}");
    let spec = SpecMinimal {
        credentials_per_rp: vec![1],
    };
    rows.push(measure("audit of one key", &err, &spec.audit()));
    let reports_in: usize = rows.last().map_or(0, |r| r.reports_in);
    print_table(&rows);

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
        "audit of one key, 1 ms latency per report from the key: median {:.1} ms of 5 runs, of which the {reports_in} reports the key sends account for {reports_in} ms",
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
