//! Shared by the benches: a generated inventory, and whole-process measurement of the binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use glasskey::inventory::history::next_entry;
use glasskey::inventory::model::{
    Account, Identity, Inventory, KeyEntry, Observation, ObservedPasskey,
};

/// `keys` keys, two per account, each observed recently, and 20 check entries per key.
pub fn generate(keys: usize) -> Inventory {
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
            transport: Default::default(),
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
                vendor_serial: None,
                usb_serial: None,
                sign_count: Some(7),
                passkeys: Some(vec![ObservedPasskey {
                    user_name: upn,
                    user_id: format!("{k:032x}"),
                    credential_id: format!("{k:0130x}"),
                }]),
                passkeys_unreadable: None,
                other_rp_ids: Vec::new(),
            }),
            retired: None,
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

/// Runs glasskey with `args` and returns (wall seconds, max RSS in MB, exit code).
// The child is reaped by wait4 rather than Child::wait, because only wait4 reports its rusage.
#[allow(clippy::zombie_processes)]
pub fn measure(args: &[&str]) -> (f64, f64, i32) {
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_glasskey"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain old data, and wait4 fills it for the child spawned above.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: pid is our own unreaped child; status and usage are valid out-pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    let secs = started.elapsed().as_secs_f64();
    (
        secs,
        usage.ru_maxrss as f64 / 1024.0,
        libc::WEXITSTATUS(status),
    )
}

/// Best (fastest) of three runs.
pub fn best_of_three(args: &[&str]) -> (f64, f64) {
    let mut best = (f64::MAX, 0.0);
    for _ in 0..3 {
        let (secs, mb, code) = measure(args);
        assert_eq!(code, 0, "glasskey {args:?} failed");
        if secs < best.0 {
            best = (secs, mb);
        }
    }
    best
}
