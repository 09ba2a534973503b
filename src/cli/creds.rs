//! `creds`: the passkeys on a key, grouped by relying party.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use crate::ctap2::cose::{algorithm_label, known_algorithm_name, CoseKey};
use crate::ctap2::session::{CredsMetadata, ResidentCredential, TokenPurpose};
use crate::device::Key;
use crate::untrusted::{shown_or, ShowOutside};
use crate::util::{key_fingerprint, short_fingerprint};

#[derive(Debug, Clone, Serialize)]
pub struct CredentialView {
    pub rp_id: String,
    /// Set when the RP ID renders like login.microsoft.com, mixes scripts or hides characters.
    pub rp_id_warning: Option<String>,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub user_id: String,
    pub credential_id: String,
    pub cred_protect: Option<u8>,
    /// The COSE algorithm number the key gave, and its name (or "unknown to glasskey").
    pub algorithm: Option<i64>,
    pub algorithm_name: Option<String>,
    /// SHA-256 of the public key as CBOR; for a key glasskey does not parse, of the bytes as
    /// the key sent them.
    pub public_key_sha256: Option<String>,
}

impl CredentialView {
    /// The view of `c` in a listing filtered to `asked` (if any).
    fn new(c: &ResidentCredential, asked: Option<&str>) -> Self {
        Self {
            rp_id: c.rp.id.clone(),
            rp_id_warning: crate::audit::lookalike::rp_id_warning_against(&c.rp.id, asked),
            user_name: c.user.name.clone(),
            display_name: c.user.display_name.clone(),
            user_id: hex::encode(&c.user.id),
            credential_id: hex::encode(&c.credential_id),
            cred_protect: c.cred_protect,
            algorithm: c.public_key.as_ref().and_then(CoseKey::algorithm),
            algorithm_name: c.public_key.as_ref().and_then(CoseKey::algorithm_name),
            public_key_sha256: c
                .public_key
                .as_ref()
                .map(|k| key_fingerprint(&k.to_bytes())),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CredentialListing {
    pub device: String,
    pub slots_used: u64,
    pub slots_remaining: u64,
    /// Set when the listing cannot be the whole store (`CredsMetadata::unlisted`): exit 1.
    pub warning: Option<String>,
    /// With `--rp`: how many other relying parties the filter hid (never a look-alike of the
    /// RP asked for, which is always listed).
    pub hidden_relying_parties: Option<usize>,
    #[serde(skip)]
    pub asked_rp: Option<String>,
    pub credentials: Vec<CredentialView>,
}

/// Reads every passkey with the PIN. The caller supplies the PIN once retries are known.
pub fn read_credentials(
    ctx: &mut Context,
    key: &mut Key,
    purpose: TokenPurpose,
) -> Result<(CredsMetadata, Vec<ResidentCredential>), CliError> {
    if key.session.info()?.cred_mgmt().is_none() {
        return Err(CliError::device(
            "this key cannot list its passkeys (it has no credential management)",
        ));
    }
    match key.session.info()?.pin_set() {
        Some(true) => {}
        _ => {
            return Err(CliError::usage(
                "listing passkeys needs a PIN, and this key has none set",
            ))
        }
    }
    let token = ctx.key_pin_token(key, None, purpose, None)?;
    let (metadata, rps) = key.session.relying_parties(&token)?;
    // A key with hundreds of passkeys takes a while; show progress, but only to a person.
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(metadata.existing)
    } else {
        indicatif::ProgressBar::hidden()
    };
    progress.set_message("reading passkeys");
    let mut creds = Vec::new();
    for rp in rps {
        let batch = key.session.enumerate_credentials(&token, &rp)?;
        progress.inc(batch.len() as u64);
        creds.extend(batch);
    }
    progress.finish_and_clear();
    Ok((metadata, creds))
}

pub fn write_listing(w: &mut dyn Write, l: &CredentialListing) -> std::io::Result<()> {
    writeln!(
        w,
        "{}: {} passkey slot(s) used, {} free",
        l.device.shown(),
        l.slots_used,
        l.slots_remaining
    )?;
    let mut current_rp: Option<&str> = None;
    for c in &l.credentials {
        if current_rp != Some(c.rp_id.as_str()) {
            match &c.rp_id_warning {
                Some(warning) => writeln!(w, "  {}  {warning}", c.rp_id.shown())?,
                None => writeln!(w, "  {}", c.rp_id.shown())?,
            }
            current_rp = Some(&c.rp_id);
        }
        writeln!(
            w,
            "    user          {}",
            shown_or(c.user_name.as_deref(), "-")
        )?;
        writeln!(
            w,
            "      display     {}",
            shown_or(c.display_name.as_deref(), "-")
        )?;
        writeln!(w, "      user id     {}", c.user_id)?;
        writeln!(w, "      credential  {}", c.credential_id)?;
        writeln!(
            w,
            "      credProtect {}",
            c.cred_protect.map_or("-".into(), |p| p.to_string())
        )?;
        writeln!(
            w,
            "      algorithm   {}",
            c.algorithm.map_or("-".into(), |alg| {
                // The key's own name (EdDSA on Ed448 says so), with the number it sent.
                match (known_algorithm_name(alg), &c.algorithm_name) {
                    (Some(_), Some(name)) => format!("{name} [{alg}]"),
                    _ => algorithm_label(alg),
                }
            })
        )?;
        writeln!(
            w,
            "      key SHA-256 {}",
            c.public_key_sha256
                .as_deref()
                .map_or("-".into(), short_fingerprint)
        )?;
    }
    if l.credentials.is_empty() {
        writeln!(w, "  (no passkeys)")?;
    }
    if let Some(warning) = &l.warning {
        writeln!(w, "  WARNING: {warning}")?;
    }
    if let (Some(hidden), Some(asked)) = (l.hidden_relying_parties, &l.asked_rp) {
        writeln!(
            w,
            "  NOTE: --rp {} hid {hidden} other relying {}; look-alikes of {} are always shown",
            asked.shown(),
            if hidden == 1 { "party" } else { "parties" },
            asked.shown()
        )?;
    }
    Ok(())
}

pub fn creds(ctx: &mut Context, rp: Option<&str>, persistent_token: bool) -> Result<(), CliError> {
    let mut key = ctx.open_key()?;
    super::identity_gate::without_inventory(&mut key);
    let purpose = if persistent_token {
        TokenPurpose::ReadCredentialsPersistent
    } else {
        TokenPurpose::ReadCredentials
    };
    let (metadata, all) = read_credentials(ctx, &mut key, purpose)?;
    // `--rp` never hides a site that renders like the one asked for (HOSTILE-8 F14).
    let shown = |c: &ResidentCredential| {
        rp.is_none_or(|r| c.rp.id == r || crate::audit::lookalike::looks_alike(&c.rp.id, r))
    };
    let listing = CredentialListing {
        device: key.spec.to_arg(),
        slots_used: metadata.existing,
        slots_remaining: metadata.remaining,
        warning: metadata.fewer_listed(all.len()),
        hidden_relying_parties: rp.map(|_| {
            all.iter()
                .filter(|c| !shown(c))
                .map(|c| &c.rp.id_hash)
                .collect::<std::collections::HashSet<_>>()
                .len()
        }),
        asked_rp: rp.map(str::to_owned),
        credentials: all
            .iter()
            .filter(|c| shown(c))
            .map(|c| CredentialView::new(c, rp))
            .collect(),
    };
    ctx.emit(&listing, |w| write_listing(w, &listing))?;
    match listing.warning {
        Some(_) => Err(CliError::findings()),
        None => Ok(()),
    }
}
