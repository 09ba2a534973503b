//! `creds --rp` (HOSTILE-8 F14): the filter never hides a look-alike of the RP asked for, and
//! says how many other relying parties it hid, so an admin filtering by the genuine
//! login.microsoft.com still sees `login.microsoft.СОМ`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use scripted::{authenticator, creds, passkey, Action, ScriptedKey};

/// login.microsoft.com with Cyrillic С, О and М for the TLD.
const LOOKALIKE_MS: &str = "login.microsoft.\u{421}\u{41E}\u{41C}";

fn key_with(rps: &[&str]) -> ScriptedKey {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    for (i, rp) in rps.iter().enumerate() {
        auth.state_mut().credentials.push(passkey(
            rp,
            &format!("u{i}@contoso.onmicrosoft.com"),
            i as u8 + 10,
        ));
    }
    ScriptedKey::serve(auth, Box::new(|_, _| Action::Forward))
}

fn creds_for(device: &str, rp: &str, json: bool) -> (Option<i32>, String, String) {
    let global: &[&str] = if json { &["--json"] } else { &[] };
    creds(device, global, &["--rp", rp])
}

#[test]
fn a_look_alike_of_the_filtered_rp_is_still_listed_and_the_hidden_count_is_said() {
    let key = key_with(&[
        "login.microsoft.com",
        LOOKALIKE_MS,
        "example.com",
        "other.org",
    ]);
    let (code, stdout, stderr) = creds_for(&key.device, "login.microsoft.com", false);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("u0@contoso"), "{stdout}");
    // The look-alike is shown, flagged, with its passkey.
    assert!(stdout.contains("u1@contoso"), "{stdout}");
    assert!(
        stdout.contains("LOOK-ALIKE of login.microsoft.com"),
        "{stdout}"
    );
    // The unrelated sites are hidden, and the listing says how many.
    assert!(
        !stdout.contains("u2@") && !stdout.contains("other.org"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--rp login.microsoft.com hid 2 other relying parties"),
        "{stdout}"
    );
    assert!(
        stdout.contains("look-alikes of login.microsoft.com are always shown"),
        "{stdout}"
    );

    let (code, stdout, _) = creds_for(&key.device, "login.microsoft.com", true);
    assert_eq!(code, Some(0), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["hidden_relying_parties"], 2, "{v}");
    assert_eq!(v["credentials"].as_array().unwrap().len(), 2, "{v}");
}

/// The filter's own RP, not only login.microsoft.com, is the one look-alikes are judged by.
#[test]
fn a_look_alike_of_any_filtered_rp_is_listed_and_named() {
    let key = key_with(&["example.com", "examp1e.com", "login.microsoft.com"]);
    let (code, stdout, stderr) = creds_for(&key.device, "example.com", false);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("examp1e.com  LOOK-ALIKE of example.com"),
        "{stdout}"
    );
    assert!(!stdout.contains("u2@"), "{stdout}");
    assert!(stdout.contains("hid 1 other relying party"), "{stdout}");
}
