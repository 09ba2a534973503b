//! `glasskey demo`: the break-glass story on built-in virtual keys, end to end through the real
//! CTAPHID and CTAP2 code, with no hardware and no input: make keys, register passkeys as a
//! browser would, build an inventory, enroll, audit, and catch a look-alike.

use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::args::{EnrollArgs, LockArg};
use super::context::{io_error, Context, PinSource};
use super::error::CliError;
use super::options::RunOptions;
use crate::device::{DeviceSpec, Key};
use crate::secret::Pin;
use crate::virtual_key::Authenticator;

const RP: &str = "login.microsoft.com";
const ACCOUNTS: [(&str, &str); 2] = [
    ("bg-01@contoso.onmicrosoft.com", "Break Glass 01"),
    ("bg-02@contoso.onmicrosoft.com", "Break Glass 02"),
];

struct DemoKey {
    label: &'static str,
    file: &'static str,
    serial: u32,
    pin: &'static str,
    accounts: &'static [usize],
    location: &'static str,
}

/// Two good keys, one per account, and a look-alike: same model and serial as the first,
/// but a different key holding passkeys for both accounts.
const KEYS: [DemoKey; 3] = [
    DemoKey {
        label: "BG01-A",
        file: "bg01-a.json",
        serial: 31_337_001,
        pin: "731946",
        accounts: &[0],
        location: "Safe 1, HQ",
    },
    DemoKey {
        label: "BG02-A",
        file: "bg02-a.json",
        serial: 31_337_002,
        pin: "482159",
        accounts: &[1],
        location: "Safe 2, DR site",
    },
    DemoKey {
        label: "BG01-B",
        file: "look-alike.json",
        serial: 31_337_001,
        pin: "731946",
        accounts: &[0, 1],
        location: "Safe 1, HQ",
    },
];

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn make_temp_dir() -> Result<TempDir, CliError> {
    let dir = std::env::temp_dir().join(format!(
        "glasskey-demo-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::usage(format!("cannot create {}: {e}", dir.display())))?;
    Ok(TempDir(dir))
}

fn pin(text: &str) -> Result<Pin, CliError> {
    Pin::new(Zeroizing::new(text.to_owned())).map_err(|e| CliError::usage(e.to_string()))
}

fn context(global: &RunOptions, key: Option<&Path>, pin_text: &str) -> Result<Context, CliError> {
    let mut g = global.clone();
    g.device = key.map(|p| format!("virtual:{}", p.display()));
    g.json = false;
    Ok(Context::with_output(
        g,
        Box::new(std::io::stdout()),
        PinSource::Given(pin(pin_text)?),
    ))
}

fn say(text: &str) -> Result<(), CliError> {
    writeln!(std::io::stdout(), "{text}").map_err(io_error)
}

/// Runs a command that may end in findings; the demo expects some and carries on.
fn expect_findings(result: Result<(), CliError>) -> Result<(), CliError> {
    match result {
        Err(e) if e.code == super::error::EXIT_FINDINGS => Ok(()),
        other => other,
    }
}

pub fn run(global: &RunOptions) -> Result<(), CliError> {
    let dir = make_temp_dir()?;
    say("glasskey demo: two break-glass accounts, three virtual security keys, no hardware.")?;
    say(&format!(
        "Working in {} (removed at the end).\n",
        dir.0.display()
    ))?;

    let mut paths = Vec::new();
    for k in &KEYS {
        let path = dir.0.join(k.file);
        Authenticator::create(
            Some(&path),
            "yubikey-5.7",
            Some(k.serial),
            Some(&pin(k.pin)?),
        )
        .map_err(|e| CliError::usage(e.to_string()))?;
        let mut ctx = context(global, Some(&path), k.pin)?;
        let mut key = Key::open(&DeviceSpec::Virtual(path.clone()), &ctx.open_options())?;
        for &a in k.accounts {
            let (upn, name) = ACCOUNTS[a];
            super::virtual_cmd::register_with_key(&mut ctx, &mut key, RP, upn, Some(name))?;
        }
        let upns: Vec<&str> = k.accounts.iter().map(|&a| ACCOUNTS[a].0).collect();
        say(&format!(
            "- {}: YubiKey-like key, serial {}, PIN set, passkey(s) for {}",
            k.file,
            k.serial,
            upns.join(" and ")
        ))?;
        paths.push(path);
    }

    say("\n== 1. The inventory: two accounts (one key each, for the demo; the default policy asks for two)")?;
    let inventory = dir.0.join("breakglass.toml");
    let accounts: Vec<String> = ACCOUNTS.iter().map(|(u, n)| format!("{u}={n}")).collect();
    super::inventory_cmd::init(
        &mut context(global, None, "0000")?,
        &inventory,
        "contoso.onmicrosoft.com",
        &accounts,
        crate::inventory::Policy {
            min_keys_per_account: 1,
            // The demo's keys are glasskey's virtual keys; a real inventory never admits them.
            allow_software_keys: true,
            ..crate::inventory::Policy::default()
        },
    )?;

    say(
        "\n== 2. Enroll the two genuine keys: glasskey creates its own identity credential on each",
    )?;
    for (k, path) in KEYS.iter().zip(&paths).take(2) {
        let account = ACCOUNTS[k.accounts[0]].0;
        let args = EnrollArgs {
            inventory: inventory.clone(),
            label: k.label.into(),
            account: account.into(),
            custodian: "IT security officer".into(),
            location: k.location.into(),
            casing_serial: None,
            yes: false,
            allow_duplicate_serial: false,
            lock: LockArg::default(),
        };
        super::enroll::enroll(&mut context(global, Some(path), k.pin)?, &args)?;
    }

    say("\n== 3. Quarterly audit of the genuine keys (checked one at a time, as in different safes)")?;
    for (k, path) in KEYS.iter().zip(&paths).take(2) {
        super::audit_cmd::audit(&mut context(global, Some(path), k.pin)?, &inventory)?;
    }

    say("\n== 4. The account side: what Entra ID lists for each account, matched to the keys by credential ID")?;
    say("(With a real tenant: `glasskey entra script` prints the read-only export script.)")?;
    let now = context(global, None, "0000")?.now()?;
    let (_, inv) = crate::inventory::Store::load(&inventory)?;
    let clean = super::entra_cmd::virtual_export(&inv, &paths[..2], now)?;
    let export = dir.0.join("entra-export.json");
    let check = |value: &serde_json::Value| -> Result<(), CliError> {
        super::entra_cmd::write_export(value, &export)?;
        expect_findings(super::entra_cmd::check(
            &mut context(global, None, "0000")?,
            &inventory,
            &export,
        ))
    };
    check(&clean)?;
    say("\n-- Someone registered a passkey of their own on bg-01 (as Entra would list it):")?;
    let mut unknown = clean.clone();
    let stranger = crate::entra::synth::SynthPasskey {
        credential_id: rand::random::<[u8; 16]>().to_vec(),
        aaguid: "fbfc3007-154e-4ecc-8c0b-6e020557d7bd".into(),
        model: Some("iCloud Keychain".into()),
        display_name: "iPhone".into(),
        created: now,
    };
    crate::entra::synth::add_method(
        &mut unknown,
        ACCOUNTS[0].0,
        crate::entra::synth::fido2_method(&stranger),
    );
    check(&unknown)?;
    say("\n-- The Temporary Access Pass used to register bg-02's key was never deleted:")?;
    let mut tap = clean;
    let pass = crate::entra::synth::temporary_access_pass(
        "5c7a2c9e-8f31-4bd8-9e7b-0d3f6a1b2c4d",
        now - time::Duration::hours(1),
        480,
        true,
        "EnabledByPolicy",
    );
    crate::entra::synth::add_method(&mut tap, ACCOUNTS[1].0, pass);
    check(&tap)?;

    say("\n== 5. Someone brings \"BG01-A\" from the safe, but it is the look-alike: same model, same serial")?;
    let fake = &KEYS[2];
    expect_findings(super::audit_cmd::audit(
        &mut context(global, Some(&paths[2]), fake.pin)?,
        &inventory,
    ))?;

    say("\n== 6. Had the look-alike been enrolled as a second key for bg-01, the audit would say why it must not be")?;
    let args = EnrollArgs {
        inventory: inventory.clone(),
        label: fake.label.into(),
        account: ACCOUNTS[0].0.into(),
        custodian: "IT security officer".into(),
        location: fake.location.into(),
        casing_serial: None,
        yes: false,
        // Only an admin's explicit override lets a key with a copied serial in.
        allow_duplicate_serial: true,
        lock: LockArg::default(),
    };
    super::enroll::enroll(&mut context(global, Some(&paths[2]), fake.pin)?, &args)?;
    expect_findings(super::audit_cmd::audit(
        &mut context(global, Some(&paths[2]), fake.pin)?,
        &inventory,
    ))?;

    say("\n== 7. The record: every check is chained to the one before it")?;
    super::inventory_cmd::show_history(&mut context(global, None, "0000")?, &inventory)?;
    super::inventory_cmd::verify(&mut context(global, None, "0000")?, &inventory)?;

    say("\nWith real keys you would run:")?;
    for line in [
        "  glasskey inventory init breakglass.toml --tenant contoso.onmicrosoft.com --account UPN ...",
        "  glasskey enroll --inventory breakglass.toml --label BG01-A --account UPN --custodian NAME --location PLACE",
        "  glasskey audit --inventory breakglass.toml        # each quarter, each key; exit 1 on findings",
        "  glasskey entra script --inventory breakglass.toml > export.ps1   # run it, then:",
        "  glasskey entra check --inventory breakglass.toml --export glasskey-entra-export.json",
        "  glasskey identify --inventory breakglass.toml     # which key is this? (no PIN, no touch)",
        "  glasskey pin status / creds / info / list          # look at any key",
    ] {
        say(line)?;
    }
    Ok(())
}
