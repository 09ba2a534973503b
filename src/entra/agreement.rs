//! An export that contradicts itself is malformed: Graph describes one passkey the same way in
//! the v1.0 methods list and the beta fido2Methods list, gives each user its own id, each
//! passkey profile its own id and lists each verified domain once. Were a contradiction
//! resolved silently, whichever copy glasskey happened to read would decide the finding.

use std::collections::HashMap;
use std::fmt::Display;

use super::export::{AccountExport, Bundle};
use super::method::Method;
use super::EntraError;

pub fn check(bundle: &Bundle) -> Result<(), EntraError> {
    for (i, a) in bundle.accounts.iter().enumerate() {
        lists_agree(i, a)?;
    }
    once(
        bundle.accounts.iter().map(|a| a.user.id.as_str()),
        |i| format!("accounts[{i}].user.id"),
        |first, id| {
            format!(
                "{id:?} is also the user id of accounts[{first}] ({}): two entries describe one account",
                bundle.accounts[first].upn
            )
        },
    )?;
    let config = &bundle.fido2_configuration;
    once(
        config.passkey_profiles.iter().map(|p| p.id.as_str()),
        |j| format!("fido2Configuration.passkeyProfiles[{j}].id"),
        |first, id| {
            format!("{id:?} is listed twice (also at passkeyProfiles[{first}]): Graph gives each profile its own id")
        },
    )?;
    once(
        bundle.tenant.verified_domains.iter().map(String::as_str),
        |j| format!("tenant.verifiedDomains[{j}]"),
        |first, d| format!("{d:?} is listed twice (also at verifiedDomains[{first}])"),
    )
}

/// The first value given twice (ignoring case, as Entra does for ids and domains) is refused.
fn once<'a>(
    values: impl Iterator<Item = &'a str>,
    path: impl Fn(usize) -> String,
    message: impl Fn(usize, &str) -> String,
) -> Result<(), EntraError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (j, v) in values.enumerate() {
        if let Some(&first) = seen.get(&v.to_lowercase()) {
            return Err(EntraError::Json {
                path: path(j),
                message: message(first, v),
            });
        }
        seen.insert(v.to_lowercase(), j);
    }
    Ok(())
}

/// Each passkey in the methods list says what its fido2Methods entry says, where both say it.
fn lists_agree(i: usize, a: &AccountExport) -> Result<(), EntraError> {
    let beta: HashMap<&[u8], usize> = a
        .fido2_methods
        .value
        .iter()
        .enumerate()
        .filter_map(|(k, m)| m.passkey().map(|p| (&*p.credential_id, k)))
        .collect();
    for (j, m) in a.methods.value.iter().enumerate() {
        let Some(p) = m.passkey() else { continue };
        let Some(&k) = beta.get(&*p.credential_id) else {
            continue;
        };
        let other = &a.fido2_methods.value[k];
        let Some(q) = other.passkey() else { continue };
        let here = format!("accounts[{i}].methods.value[{j}]");
        let there = format!("accounts[{i}].fido2Methods.value[{k}]");
        agree(&here, &there, "aaGuid", p.aa_guid, q.aa_guid)?;
        agree(
            &here,
            &there,
            "attestationLevel",
            p.attestation.map(|l| l.as_str()),
            q.attestation.map(|l| l.as_str()),
        )?;
        created_agrees(&here, &there, m, other)?;
    }
    Ok(())
}

/// A field both lists document: a value in one and another value, null or nothing in the other
/// is a contradiction (the unstated side must not let the stated one decide).
fn agree<T: PartialEq + Display>(
    here: &str,
    there: &str,
    field: &str,
    a: Option<T>,
    b: Option<T>,
) -> Result<(), EntraError> {
    if a == b {
        return Ok(());
    }
    let shown = |v: Option<T>| v.map_or_else(|| "absent or null".to_owned(), |v| v.to_string());
    Err(contradiction(
        format!("{here}.{field}"),
        format!("{there}.{field}"),
        &shown(a),
        &shown(b),
    ))
}

fn created_agrees(here: &str, there: &str, m: &Method, other: &Method) -> Result<(), EntraError> {
    match (m.created, other.created) {
        (Some(a), Some(b)) if a != b => Err(contradiction(
            format!("{here}.{}", m.created_field.name()),
            format!("{there}.{}", other.created_field.name()),
            &a,
            &b,
        )),
        _ => Ok(()),
    }
}

fn contradiction(path: String, other: String, a: &dyn Display, b: &dyn Display) -> EntraError {
    EntraError::Json {
        message: format!(
            "{a} contradicts {other} ({b}): the two lists describe one passkey, and an export whose lists disagree has been edited or spliced"
        ),
        path,
    }
}
