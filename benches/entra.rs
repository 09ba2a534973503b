//! `entra check`'s work on a large tenant: an export of 10,000 accounts with 10 methods each
//! (password, three passkeys in both lists, phone, email, Authenticator, software OATH, Windows
//! Hello, a TAP) against an inventory of 20,000 keys, two per account. Measured in-process:
//! wall time of reading + parsing + reconciling the export (best of three), and the peak heap
//! growth during that (a counting global allocator; the inventory is already in memory).
//! Target: under 1 s and under 3x the export file's size.
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

fn main() {
    // `cargo test` also builds and runs benches without --bench; only measure when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let inv = inventory();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    let bytes = export();
    std::fs::write(&path, &bytes).unwrap();
    let size = bytes.len();
    drop(bytes);
    let now = time::macros::datetime!(2026-11-26 00:00 UTC);
    let mut best = (f64::MAX, 0.0, 0.0);
    let mut peak = 0usize;
    let mut findings = 0;
    for _ in 0..3 {
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let started = Instant::now();
        let export = glasskey::entra::load(&path).unwrap();
        let parsed = started.elapsed().as_secs_f64();
        let r = glasskey::entra::reconcile(&inv, &export, now).unwrap();
        let secs = started.elapsed().as_secs_f64();
        findings = r.findings.len();
        peak = peak.max(PEAK.load(Ordering::Relaxed) - base);
        drop((export, r));
        if secs < best.0 {
            best = (secs, parsed, secs - parsed);
        }
    }
    println!(
        "{:>9} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>7} {:>9}",
        "accounts",
        "methods",
        "file MB",
        "seconds",
        "(parse)",
        "(match)",
        "peak MB",
        "x file",
        "findings"
    );
    println!(
        "{ACCOUNTS:>9} {:>8} {:>8.1} {:>8.3} {:>9.3} {:>9.3} {:>8.1} {:>7.2} {findings:>9}",
        ACCOUNTS * 10,
        size as f64 / 1e6,
        best.0,
        best.1,
        best.2,
        peak as f64 / 1e6,
        peak as f64 / size as f64
    );
}
