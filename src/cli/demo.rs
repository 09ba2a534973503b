//! `glasskey demo`: the break-glass story on built-in virtual keys, end to end through the real
//! CTAPHID and CTAP2 code, with no hardware and no input.

use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::args::GlobalArgs;
use super::context::{io_error, Context, PinSource};
use super::error::CliError;
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
    serial: u32,
    pin: &'static str,
    accounts: &'static [usize],
}

/// Two good keys, one per account, and a look-alike: same model and serial as the first,
/// but a different key holding passkeys for both accounts.
const KEYS: [DemoKey; 3] = [
    DemoKey {
        label: "BG-01 primary",
        serial: 31_337_001,
        pin: "731946",
        accounts: &[0],
    },
    DemoKey {
        label: "BG-02 primary",
        serial: 31_337_002,
        pin: "482159",
        accounts: &[1],
    },
    DemoKey {
        label: "look-alike",
        serial: 31_337_001,
        pin: "731946",
        accounts: &[0, 1],
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

fn context_for(global: &GlobalArgs, path: &Path, pin_text: &str) -> Result<Context, CliError> {
    let mut g = global.clone();
    g.device = Some(format!("virtual:{}", path.display()));
    g.json = false;
    Ok(Context::with_output(
        g,
        Box::new(std::io::stdout()),
        PinSource::Given(pin(pin_text)?),
    ))
}

pub fn run(global: &GlobalArgs) -> Result<(), CliError> {
    let dir = make_temp_dir()?;
    let mut out = std::io::stdout();
    let say = |out: &mut std::io::Stdout, text: &str| writeln!(out, "{text}").map_err(io_error);
    say(
        &mut out,
        "glasskey demo: three virtual security keys, two break-glass accounts, no hardware.",
    )?;
    say(
        &mut out,
        &format!("Working in {} (removed at the end).\n", dir.0.display()),
    )?;

    let mut paths = Vec::new();
    for k in &KEYS {
        let path = dir.0.join(format!("{}.json", k.label.replace(' ', "-")));
        Authenticator::create(
            Some(&path),
            "yubikey-5.7",
            Some(k.serial),
            Some(&pin(k.pin)?),
        )
        .map_err(|e| CliError::usage(e.to_string()))?;
        let mut ctx = context_for(global, &path, k.pin)?;
        let mut key = Key::open(&DeviceSpec::Virtual(path.clone()), &ctx.open_options())?;
        for &a in k.accounts {
            let (upn, name) = ACCOUNTS[a];
            super::virtual_cmd::register_with_key(&mut ctx, &mut key, RP, upn, Some(name))?;
        }
        let upns: Vec<&str> = k.accounts.iter().map(|&a| ACCOUNTS[a].0).collect();
        say(
            &mut out,
            &format!(
                "Made key \"{}\" (YubiKey-like, serial {}) with a PIN and passkeys for {}.",
                k.label,
                k.serial,
                upns.join(" and ")
            ),
        )?;
        paths.push(path);
    }

    for (k, path) in KEYS.iter().zip(&paths) {
        say(&mut out, &format!("\n=== {} ===", k.label))?;
        let mut ctx = context_for(global, path, k.pin)?;
        let mut key = ctx.open_key()?;
        let facts = key.facts()?;
        super::keys::write_facts(&mut out, &facts).map_err(io_error)?;
        let status = super::pin::read_status(&mut key)?;
        super::pin::write_status(&mut out, &status).map_err(io_error)?;
        let (metadata, creds) = super::creds::read_credentials(&mut ctx, &mut key)?;
        let listing = super::creds::CredentialListing {
            device: facts.device.clone(),
            slots_used: metadata.existing,
            slots_remaining: metadata.remaining,
            credentials: creds
                .iter()
                .filter(|c| c.rp.id == RP)
                .map(super::creds::CredentialView::from)
                .collect(),
        };
        super::creds::write_listing(&mut out, &listing).map_err(io_error)?;
        let accounts = listing.credentials.len();
        if accounts > 1 {
            say(&mut out, &format!("  !! this key holds passkeys for {accounts} break-glass accounts: each account needs its own key."))?;
        }
    }
    say(&mut out, "\nNote: the look-alike reports the same model and serial as \"BG-01 primary\"; serials can be")?;
    say(
        &mut out,
        "copied or absent, so glasskey's inventory proves identity with a credential of its own.",
    )?;
    say(&mut out, "\nWith real keys you would run:")?;
    for line in [
        "  glasskey list                              # every key plugged in",
        "  glasskey info --device SERIAL              # what the key says about itself",
        "  glasskey pin status --device SERIAL        # PIN set and untouched?",
        "  glasskey creds --rp login.microsoft.com    # the passkeys on the key (asks for the PIN)",
    ] {
        say(&mut out, line)?;
    }
    Ok(())
}
