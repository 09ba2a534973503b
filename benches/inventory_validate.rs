//! `glasskey inventory validate` on generated inventories of 1,000 / 5,000 / 20,000 keys with
//! 20 check entries per key (100,000 checks at 5,000 keys): whole-process wall time and peak
//! memory (max RSS) of the release binary. Target: 5,000 keys under 1 s and 200 MB.
//!
//! Run: cargo bench --bench inventory_validate
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use glasskey::inventory::history::next_entry;
use glasskey::inventory::model::{
    Account, Identity, Inventory, KeyEntry, Observation, ObservedPasskey,
};

fn generate(keys: usize) -> Inventory {
    let mut inv = Inventory::new("contoso.onmicrosoft.com");
    let accounts = keys / 2;
    for a in 0..accounts {
        inv.accounts.push(Account {
            upn: format!("bg-{a:05}@contoso.onmicrosoft.com"),
            display_name: Some(format!("Break Glass {a}")),
        });
    }
    for k in 0..keys {
        let upn = format!("bg-{:05}@contoso.onmicrosoft.com", k / 2);
        let pk = format!("pQECAyYgASFYI{k:040}Ilgg{k:043}");
        inv.keys.push(KeyEntry {
            label: format!("K{k:05}"),
            account: upn.clone(),
            custodian: "Custodian".into(),
            location: format!("Safe {k}"),
            aaguid: "a25342c0-3cdc-4414-8e46-f4807fca511c".into(),
            model: Some("YubiKey 5 Series with NFC (firmware 5.7)".into()),
            firmware: Some("5.7.4".into()),
            usb_vendor_id: Some("1050".into()),
            vendor_serial: Some(30_000_000 + k as u32),
            usb_serial: None,
            casing_serial: None,
            enrolled: "2026-10-01T00:00:00Z".into(),
            identity: Identity {
                rp_id: "glasskey.invalid".into(),
                credential_id: format!("AQ{k:084}"),
                public_key: pk,
                fingerprint: format!("{k:064}"),
                sign_count: 7,
            },
            last_observation: Some(Observation {
                date: "2026-11-20T00:00:00Z".into(),
                identity_verified: true,
                sign_count_regressed: false,
                pin_set: true,
                pin_retries: Some(8),
                force_pin_change: false,
                pin_meets_policy: Some(true),
                firmware: Some("5.7.4".into()),
                sign_count: Some(7),
                passkeys: Some(vec![ObservedPasskey {
                    user_name: upn,
                    user_id: format!("{k:032x}"),
                    credential_id: format!("{k:0130x}"),
                }]),
                other_rp_ids: Vec::new(),
            }),
        });
    }
    for c in 0..keys * 20 {
        let e = next_entry(
            &inv.checks,
            "2026-11-20T00:00:00Z",
            vec![format!("K{:05}", c % keys)],
            "pass",
            Vec::new(),
        );
        inv.checks.push(e);
    }
    inv
}

/// Runs the binary and returns (wall seconds, max RSS in MB, exit code).
// The child is reaped by wait4 rather than Child::wait, because only wait4 reports its rusage.
#[allow(clippy::zombie_processes)]
fn measure(file: &std::path::Path) -> (f64, f64, i32) {
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_glasskey"))
        .args(["--now", "2026-11-25T00:00:00Z", "inventory", "validate"])
        .arg(file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we spawned and have not reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    let secs = started.elapsed().as_secs_f64();
    (
        secs,
        usage.ru_maxrss as f64 / 1024.0,
        libc::WEXITSTATUS(status),
    )
}

fn main() {
    // `cargo test` also runs benches once with --bench absent; only do the work when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:>7} {:>9} {:>9} {:>9} {:>9}",
        "keys", "checks", "file MB", "seconds", "max MB"
    );
    for keys in [1_000, 5_000, 20_000] {
        let inv = generate(keys);
        let path = dir.path().join(format!("inv-{keys}.toml"));
        std::fs::write(&path, glasskey::inventory::store::render(&inv).unwrap()).unwrap();
        let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let mut best = (f64::MAX, 0.0, 0);
        for _ in 0..3 {
            let m = measure(&path);
            assert_eq!(m.2, 0, "the generated inventory must validate clean");
            if m.0 < best.0 {
                best = m;
            }
        }
        println!(
            "{keys:>7} {:>9} {size:>9.1} {:>9.3} {:>9.1}",
            keys * 20,
            best.0,
            best.1
        );
    }
}
