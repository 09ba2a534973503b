//! `entra check`'s work on a large tenant: an export of 10,000 accounts with 10 methods each
//! (password, three passkeys in both lists, phone, email, Authenticator, software OATH, Windows
//! Hello, a TAP) against an inventory of 20,000 keys, two per account. Each of three runs is a
//! fresh child process (so no run reuses memory an earlier one freed) that builds the inventory,
//! then times `entra::load` + `entra::reconcile` of the export file and measures their memory
//! two ways: the peak of live heap bytes above what the inventory holds (a counting global
//! allocator: exact, but blind to the allocator's own overhead), and the peak resident set's
//! growth (VmHWM after resetting it through /proc/self/clear_refs, minus VmRSS before, with
//! glibc's free memory trimmed first: what the machine actually gave the process). Wall time is
//! the best of three; CPU time (the thread's, unaffected by other processes on a shared
//! machine) is shown for that run. Target: under 1 s and under 3x the export file's size.
//!
//! Then the whole `glasskey entra check` process (the release binary Cargo built for this
//! bench), text and `--json`, on the same export against an inventory of the 10,000 accounts
//! and no keys (an inventory file of 20,000 enrolled keys cannot be made without enrolling
//! them), every passkey then a finding: three runs each, output read and dropped through a
//! pipe, wall time the best of three, peak RSS (the child's ru_maxrss from wait4, spawned from a
//! small helper process so that it does not inherit this one's) the largest.
//!
//! Run: cargo bench --bench entra
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use glasskey::entra::synth::{self, SynthAccount, SynthPasskey};
use glasskey::inventory::model::{
    Account, Identity, Inventory, KeyEntry, Observation, ObservedPasskey,
};
use serde_json::json;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: ptr came from alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ACCOUNTS: usize = 10_000;
const AAGUID: &str = "a25342c0-3cdc-4414-8e46-f4807fca511c";

fn credential(account: usize, n: usize) -> Vec<u8> {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(account as u64).to_be_bytes());
    id[8..].copy_from_slice(&(n as u64).to_be_bytes());
    id.to_vec()
}

fn upn(a: usize) -> String {
    format!("bg-{a:05}@contoso.onmicrosoft.com")
}

fn inventory() -> Inventory {
    let mut inv = Inventory::new("contoso.onmicrosoft.com");
    inv.policy.min_keys_per_account = 2;
    for a in 0..ACCOUNTS {
        inv.accounts.push(Account {
            upn: upn(a),
            display_name: None,
        });
        for k in 0..2 {
            inv.keys.push(KeyEntry {
                label: format!("K{a:05}-{k}"),
                account: upn(a),
                custodian: "Custodian".into(),
                location: format!("Safe {a}-{k}"),
                aaguid: AAGUID.into(),
                transport: Default::default(),
                model: None,
                firmware: None,
                usb_vendor_id: None,
                vendor_serial: None,
                usb_serial: None,
                casing_serial: None,
                enrolled: "2026-10-01T00:00:00Z".into(),
                identity: Identity {
                    rp_id: "glasskey.invalid".into(),
                    credential_id: String::new(),
                    public_key: format!("{a}-{k}"),
                    fingerprint: String::new(),
                    sign_count: 0,
                },
                last_observation: Some(Observation {
                    date: "2026-11-20T00:00:00Z".into(),
                    identity_verified: true,
                    sign_count_regressed: false,
                    pin_set: true,
                    pin_retries: Some(8),
                    force_pin_change: false,
                    pin_meets_policy: Some(true),
                    firmware: None,
                    vendor_serial: None,
                    usb_serial: None,
                    sign_count: None,
                    passkeys: Some(vec![ObservedPasskey {
                        user_name: upn(a),
                        user_id: String::new(),
                        credential_id: hex::encode(credential(a, k)),
                    }]),
                    passkeys_unreadable: None,
                    other_rp_ids: Vec::new(),
                }),
                retired: None,
            });
        }
    }
    inv
}

fn export() -> Vec<u8> {
    let created = time::macros::datetime!(2026-10-01 00:00 UTC);
    let accounts: Vec<SynthAccount> = (0..ACCOUNTS)
        .map(|a| SynthAccount {
            upn: upn(a),
            passkeys: (0..3)
                .map(|n| SynthPasskey {
                    credential_id: credential(a, n),
                    aaguid: AAGUID.into(),
                    model: Some("Security Key NFC".into()),
                    display_name: format!("Key {n}"),
                    created,
                })
                .collect(),
        })
        .collect();
    let mut v = synth::export(
        "contoso.onmicrosoft.com",
        time::macros::datetime!(2026-11-25 00:00 UTC),
        &accounts,
    );
    for account in v["accounts"].as_array_mut().unwrap() {
        let list = account["methods"]["value"].as_array_mut().unwrap();
        list.push(json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "notConfigured"}));
        list.push(json!({"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": "3ddfcfc8-9383-446f-83cc-3ab9be4be18f", "emailAddress": "someone@example.com"}));
        list.push(json!({"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "6d4b1d7d-1e5a-4bd4-9a8e-2c3d1b2f3e4a", "displayName": "iPhone", "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.2401.0119", "createdDateTime": "2026-10-01T00:00:00Z"}));
        list.push(json!({"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", "id": "b172893e-893e-b172-3e89-72b13e8972b1", "secretKey": null}));
        list.push(json!({"@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod", "id": "b5e01f81-1f81-b5e0-811f-e0b5811fe0b5", "displayName": "Surface Book", "createdDateTime": "2020-11-27T23:12:49Z", "keyStrength": "normal"}));
        list.push(synth::temporary_access_pass(
            "bdaede67-61e0-4349-9347-d2d6afd84009",
            created,
            60,
            false,
            "Expired",
        ));
        account["transitiveMemberOf"]["value"] = json!([{"@odata.type": "#microsoft.graph.group", "id": "11111111-2222-3333-4444-555555555555"}]);
    }
    serde_json::to_vec(&v).unwrap()
}

/// The child's measurements, one line on stdout.
struct Run {
    wall: f64,
    parse: f64,
    cpu: f64,
    heap: usize,
    rss: usize,
    findings: usize,
}

fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<usize>()
        .unwrap()
        * 1024
}

fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn measure(path: &std::path::Path) -> Run {
    let inv = inventory();
    let now = time::macros::datetime!(2026-11-26 00:00 UTC);
    // SAFETY: glibc's malloc_trim only returns free memory to the system.
    unsafe { libc::malloc_trim(0) };
    let rss_before = status_kib("VmRSS:");
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let cpu = thread_cpu_seconds();
    let started = Instant::now();
    let export = glasskey::entra::load(path).unwrap();
    let parse = started.elapsed().as_secs_f64();
    let r = glasskey::entra::reconcile(&inv, &export, now).unwrap();
    let wall = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds() - cpu;
    let heap = PEAK.load(Ordering::Relaxed) - base;
    let rss = status_kib("VmHWM:").saturating_sub(rss_before);
    Run {
        wall,
        parse,
        cpu,
        heap,
        rss,
        findings: r.findings.len(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--whole-process") {
        let (inv, export) = (
            std::path::Path::new(&args[i + 1]),
            std::path::Path::new(&args[i + 2]),
        );
        let (wall, rss, bytes) = one_process(inv, export, args[i + 3] == "json");
        println!("{wall} {rss} {bytes}");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        let r = measure(std::path::Path::new(&args[i + 1]));
        println!(
            "{} {} {} {} {} {}",
            r.wall, r.parse, r.cpu, r.heap, r.rss, r.findings
        );
        return;
    }
    // `cargo test` also builds and runs benches without --bench; only measure when asked.
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    let bytes = export();
    std::fs::write(&path, &bytes).unwrap();
    let size = bytes.len();
    drop(bytes);
    let runs: Vec<Run> = (0..3)
        .map(|_| {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .arg("--measure")
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).unwrap();
            let f: Vec<f64> = text
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            Run {
                wall: f[0],
                parse: f[1],
                cpu: f[2],
                heap: f[3] as usize,
                rss: f[4] as usize,
                findings: f[5] as usize,
            }
        })
        .collect();
    let best = runs
        .iter()
        .min_by(|a, b| a.wall.total_cmp(&b.wall))
        .unwrap();
    let heap = runs.iter().map(|r| r.heap).max().unwrap();
    let rss = runs.iter().map(|r| r.rss).max().unwrap();
    println!(
        "{:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8} {:>7} {:>9}",
        "accounts",
        "methods",
        "file MB",
        "wall s",
        "(parse)",
        "(match)",
        "cpu s",
        "heap MB",
        "x file",
        "RSS MB",
        "x file",
        "findings"
    );
    println!(
        "{ACCOUNTS:>9} {:>8} {:>8.1} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.1} {:>7.2} {:>8.1} {:>7.2} {:>9}",
        ACCOUNTS * 10,
        size as f64 / 1e6,
        best.wall,
        best.parse,
        best.wall - best.parse,
        best.cpu,
        heap as f64 / 1e6,
        heap as f64 / size as f64,
        rss as f64 / 1e6,
        rss as f64 / size as f64,
        best.findings
    );
    println!(
        "wall times of the three runs: {}; memory: the largest of the three",
        runs.iter()
            .map(|r| format!("{:.3}", r.wall))
            .collect::<Vec<_>>()
            .join(", ")
    );
    whole_process(dir.path(), &path);
}

/// Times whole `glasskey entra check` processes, as an admin runs them (module docs).
fn whole_process(dir: &std::path::Path, export: &std::path::Path) {
    let inv_path = dir.join("accounts.toml");
    let mut inv = Inventory::new("contoso.onmicrosoft.com");
    inv.accounts = (0..ACCOUNTS)
        .map(|a| Account {
            upn: upn(a),
            display_name: None,
        })
        .collect();
    glasskey::inventory::store::Store::create(&inv_path, &inv).unwrap();
    println!("whole process, {ACCOUNTS} accounts and no keys in the inventory:");
    for json in [false, true] {
        // Each through a fresh small process of this bench: a child spawned straight from
        // this one would inherit this process's memory high-water mark in its ru_maxrss.
        let runs: Vec<(f64, usize, usize)> = (0..3)
            .map(|_| {
                let out = std::process::Command::new(std::env::current_exe().unwrap())
                    .arg("--whole-process")
                    .arg(&inv_path)
                    .arg(export)
                    .arg(if json { "json" } else { "text" })
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let text = String::from_utf8(out.stdout).unwrap();
                let f: Vec<f64> = text
                    .split_whitespace()
                    .map(|x| x.parse().unwrap())
                    .collect();
                (f[0], f[1] as usize, f[2] as usize)
            })
            .collect();
        let best = runs.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
        let rss = runs.iter().map(|r| r.1).max().unwrap();
        println!(
            "  entra check{}: wall {best:.3} s (runs {}), peak RSS {:.1} MB, output {:.1} MB",
            if json { " --json" } else { "" },
            runs.iter()
                .map(|r| format!("{:.3}", r.0))
                .collect::<Vec<_>>()
                .join(", "),
            rss as f64 / 1e6,
            runs[0].2 as f64 / 1e6
        );
    }
}

/// One process: (wall seconds, peak RSS bytes, output bytes).
// The child is reaped by wait4 (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn one_process(inv: &std::path::Path, export: &std::path::Path, json: bool) -> (f64, usize, usize) {
    use std::io::Read;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_glasskey"));
    cmd.args(["--now", "2026-11-26T00:00:00Z"]);
    if json {
        cmd.arg("--json");
    }
    cmd.args(["entra", "check", "--inventory"])
        .arg(inv)
        .arg("--export")
        .arg(export)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut sink = Vec::new();
        stdout.read_to_end(&mut sink).unwrap();
        sink.len()
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and not yet reaped; std never waits for it after this.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(pid, child.id() as libc::pid_t);
    let bytes = drain.join().unwrap();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 1,
        "entra check exits 1 with findings (status {status})"
    );
    (wall, usage.ru_maxrss as usize * 1024, bytes)
}
