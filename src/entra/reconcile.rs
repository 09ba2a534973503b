//! Reconciles an export with the inventory's recorded observations, by credential ID: every
//! registered passkey is on an inventoried key of that account, every inventoried passkey is
//! registered, nothing weaker is registered, and the tenant policy admits the keys.

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;

use super::account_policy;
use super::credential_id;
use super::export::{Export, MethodState, Timestamp};
use super::joined;
use super::methods::{describe, MethodKind};
use super::other_methods;
use super::policy;
use super::rules::*;
use super::EntraError;
use crate::audit::{Finding, Rule};
use crate::inventory::model::{Inventory, KeyEntry};

pub use super::view::{
    AccountView, ExportInfo, KeyView, MatchedMethod, MethodView, Reconciliation, SignInEvidence,
};

pub(super) fn finding(rule: &Rule, key: Option<&str>, account: &str, mut msg: String) -> Finding {
    // Formatting leaves slack behind; a large tenant's export makes tens of thousands of these.
    msg.shrink_to_fit();
    Finding::new(rule, key, Some(account), msg)
}

/// The inventory names its tenant by id or domain; the export's tenant answers to its id, its
/// default domain and its initial `*.onmicrosoft.com` domain, never to the rest of its
/// verified domains: those say what the export's tenant holds, not that it is ours.
fn tenant_matches(inv: &Inventory, export: &Export) -> bool {
    let want = inv.tenant.trim();
    let t = &export.bundle.tenant;
    [
        Some(&t.id),
        Some(&t.default_domain),
        t.initial_domain.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|d| d.trim().eq_ignore_ascii_case(want))
}

/// Credential ID bytes on each inventoried key (its position), from its last observation.
fn credential_index(inv: &Inventory) -> HashMap<Vec<u8>, usize> {
    let mut index = HashMap::new();
    for (position, key) in inv.keys.iter().enumerate() {
        let Some(passkeys) = key
            .last_observation
            .as_ref()
            .and_then(|o| o.passkeys.as_ref())
        else {
            continue;
        };
        for p in passkeys {
            if let Ok(bytes) = hex::decode(&p.credential_id) {
                index.entry(bytes).or_insert(position);
            }
        }
    }
    index
}

fn text(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

pub fn reconcile(
    inv: &Inventory,
    export: &Export,
    now: OffsetDateTime,
) -> Result<Reconciliation, EntraError> {
    let bundle = &export.bundle;
    if !tenant_matches(inv, export) {
        return Err(EntraError::OtherTenant {
            inventory: inv.tenant.clone(),
            export: format!("{} ({})", bundle.tenant.default_domain, bundle.tenant.id),
        });
    }
    let exported = bundle.exported_date_time.0;
    if exported - now > super::chronology::SLACK {
        return Err(EntraError::FromTheFuture {
            date: bundle.exported_date_time.to_string(),
        });
    }
    // The exact age is compared: 7 days 23 hours is more than 7 days.
    let age = (now - exported).max(time::Duration::ZERO);
    let age_days = age.whole_days();
    let mut findings = Vec::new();
    if age > time::Duration::days(MAX_EXPORT_AGE_DAYS) {
        let hours = age.whole_hours() % 24;
        let shown = match hours {
            0 => format!("{age_days} days"),
            h => format!("{age_days} days {h} hours"),
        };
        findings.push(Finding::new(
            &STALE_EXPORT,
            None,
            None,
            format!(
                "the export is {shown} old (exported {})",
                bundle.exported_date_time
            ),
        ));
    }
    let config = &bundle.fido2_configuration;
    let enabled = config.state == MethodState::Enabled;
    if !enabled {
        findings.push(Finding::new(
            &FIDO2_POLICY_EXCLUDES,
            None,
            None,
            "the tenant's FIDO2 (passkey) authentication method is disabled",
        ));
    }
    {
        let r = &config.key_restrictions;
        for key in &inv.keys {
            if policy::blocks(r, &key.aaguid) {
                findings.push(finding(
                    &KEY_RESTRICTION_BLOCKS,
                    Some(&key.label),
                    &key.account,
                    format!(
                        "the FIDO2 policy's key restrictions ({:?} list) refuse AAGUID {}",
                        r.enforcement_type, key.aaguid
                    ),
                ));
            }
        }
    }

    let mut by_upn: HashMap<String, usize> = HashMap::new();
    for (i, a) in bundle.accounts.iter().enumerate() {
        if by_upn.insert(a.upn.to_lowercase(), i).is_some() {
            return Err(EntraError::Json {
                path: format!("accounts[{i}].upn"),
                message: format!("{} appears twice", a.upn),
            });
        }
        if !a.user.user_principal_name.eq_ignore_ascii_case(&a.upn) {
            return Err(EntraError::Json {
                path: format!("accounts[{i}].user.userPrincipalName"),
                message: format!(
                    "{:?} is not the account's UPN {:?}",
                    a.user.user_principal_name, a.upn
                ),
            });
        }
    }
    let index = credential_index(inv);
    let mut keys_by_account: HashMap<String, Vec<&KeyEntry>> = HashMap::new();
    for key in &inv.keys {
        keys_by_account
            .entry(key.account.to_lowercase())
            .or_default()
            .push(key);
    }
    let lowered: Vec<String> = inv.accounts.iter().map(|a| a.upn.to_lowercase()).collect();
    let inventory_upns: HashSet<&str> = lowered.iter().map(String::as_str).collect();
    // Each registered credential, by the (lower-case) account it is registered on.
    let mut registered: HashMap<&[u8], &str> = HashMap::new();
    // What Entra says about each inventoried key, by its position.
    let mut matched_keys: Vec<Option<MatchedMethod>> = vec![None; inv.keys.len()];
    let mut accounts = Vec::new();
    for (account, lower) in inv.accounts.iter().zip(&lowered) {
        let upn = account.upn.as_str();
        let i = *by_upn
            .get(lower)
            .ok_or_else(|| EntraError::MissingAccount(upn.to_owned()))?;
        let a = &bundle.accounts[i];
        let passkeys = joined::passkeys(a);
        let others = a.methods.value.iter().filter(|m| m.passkey().is_none());
        let mut views = Vec::with_capacity(passkeys.len() + others.count());
        let mut drill: Option<SignInEvidence> = None;
        let mut latest: Option<Timestamp> = None;
        let mut consider = |date: Option<Timestamp>, source: &dyn Fn() -> String| {
            if let Some(d) = date {
                if latest.is_none_or(|l| d > l) {
                    latest = Some(d);
                    drill = Some(SignInEvidence {
                        source: source(),
                        date: d.to_string(),
                    });
                }
            }
        };
        consider(
            a.user
                .sign_in_activity
                .as_ref()
                .and_then(|s| s.last_successful_sign_in_date_time),
            &|| "signInActivity.lastSuccessfulSignInDateTime".into(),
        );
        for p in &passkeys {
            let m = p.method;
            let position = index.get(p.credential_id).copied();
            let key = position.map(|k| &inv.keys[k]);
            registered.insert(p.credential_id, lower);
            let label = key.map(|k| k.label.as_str());
            match key {
                None => findings.push(finding(
                    &UNKNOWN_PASSKEY,
                    None,
                    upn,
                    format!(
                        "{} is registered but is on no inventoried key",
                        describe(MethodKind::Fido2, m)
                    ),
                )),
                Some(k) => {
                    if !k.account.eq_ignore_ascii_case(upn) {
                        findings.push(finding(
                            &UNKNOWN_PASSKEY,
                            Some(&k.label),
                            upn,
                            format!(
                                "{} is on key {}, which the inventory assigns to {}, not to this account",
                                describe(MethodKind::Fido2, m),
                                k.label,
                                k.account
                            ),
                        ));
                    } else {
                        consider(m.last_used, &|| {
                            format!("fido2 lastUsedDateTime of {}", k.label)
                        });
                        let slot = position.and_then(|k| matched_keys.get_mut(k));
                        if let Some(slot @ None) = slot {
                            *slot = Some(MatchedMethod {
                                account: upn.to_owned(),
                                method_id: m.id.to_string(),
                                display_name: m.display_name.as_deref().map(str::to_owned),
                                created: text(p.created),
                                last_used: text(m.last_used),
                            });
                        }
                    }
                }
            }
            joined::findings(p, key, upn, &mut findings);
            views.push(MethodView {
                kind: MethodKind::Fido2,
                odata_type: None,
                id: m.id.clone(),
                display_name: m.display_name.clone(),
                created: p.created,
                last_used: m.last_used,
                key: label.map(Into::into),
            });
        }
        other_methods::check(a, upn, &mut findings, &mut views);
        if a.user.on_premises_sync_enabled == Some(true) {
            findings.push(finding(
                &ACCOUNT_STATE,
                None,
                upn,
                "the account is synced from on-premises".into(),
            ));
        }
        if !a.user.account_enabled {
            findings.push(finding(
                &ACCOUNT_STATE,
                None,
                upn,
                "the account is disabled".into(),
            ));
        }
        if let Some(d) = latest {
            let since = now - d.0;
            let days = since.whole_days();
            if since > time::Duration::days(i64::from(inv.policy.check_interval_days)) {
                let source = drill.as_ref().map_or("", |e| e.source.as_str());
                findings.push(finding(
                    &NO_RECENT_DRILL,
                    None,
                    upn,
                    format!(
                        "the last successful sign-in the export shows is {days} days old ({d}, from {source}); the policy interval is {} days",
                        inv.policy.check_interval_days
                    ),
                ));
            }
        }
        let targeted = account_policy::findings(
            config,
            enabled,
            a,
            upn,
            keys_by_account
                .get(lower)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            &mut findings,
        );
        accounts.push(AccountView {
            upn: upn.to_owned(),
            user_id: a.user.id.clone(),
            account_enabled: a.user.account_enabled,
            on_premises_sync_enabled: a.user.on_premises_sync_enabled == Some(true),
            fido2_policy_targets: enabled && targeted,
            last_sign_in: drill,
            methods: views,
        });
    }

    let mut keys = Vec::new();
    for (position, key) in inv.keys.iter().enumerate() {
        let upn = key.account.to_lowercase();
        let own_passkeys: Vec<&crate::inventory::ObservedPasskey> = key
            .last_observation
            .as_ref()
            .and_then(|o| o.passkeys.as_ref())
            .map(|ps| {
                ps.iter()
                    .filter(|p| p.user_name.eq_ignore_ascii_case(&key.account))
                    .collect()
            })
            .unwrap_or_default();
        if inventory_upns.contains(upn.as_str()) {
            for p in &own_passkeys {
                let bytes = hex::decode(&p.credential_id).unwrap_or_default();
                if registered.get(bytes.as_slice()) != Some(&upn.as_str()) {
                    findings.push(finding(
                        &PASSKEY_NOT_REGISTERED,
                        Some(&key.label),
                        &key.account,
                        format!(
                            "the key's passkey for {} (credential {}) is not registered in Entra",
                            key.account,
                            credential_id::encode(&bytes)
                        ),
                    ));
                }
            }
        }
        keys.push(KeyView {
            label: key.label.clone(),
            account: key.account.clone(),
            observed: key
                .last_observation
                .as_ref()
                .is_some_and(|o| o.passkeys.is_some()),
            entra: matched_keys[position].take(),
        });
    }
    let mut registered_keys: HashMap<String, usize> = HashMap::new();
    for k in keys.iter().filter(|k| k.entra.is_some()) {
        *registered_keys.entry(k.account.to_lowercase()).or_default() += 1;
    }
    for account in &inv.accounts {
        let matched = registered_keys
            .get(&account.upn.to_lowercase())
            .copied()
            .unwrap_or(0);
        if (matched as u64) < u64::from(inv.policy.min_keys_per_account) {
            findings.push(finding(
                &TOO_FEW_REGISTERED,
                None,
                &account.upn,
                format!(
                    "{matched} inventoried key(s) have a passkey registered for {}; the policy asks for {}",
                    account.upn, inv.policy.min_keys_per_account
                ),
            ));
        }
    }
    let other_accounts = bundle
        .accounts
        .iter()
        .filter(|a| !inventory_upns.contains(a.upn.to_lowercase().as_str()))
        .map(|a| a.upn.clone())
        .collect();
    // Unstable (in place, no scratch copy): findings equal in these four fields are duplicates.
    findings.sort_unstable_by(|a, b| {
        (a.rule, &a.account, &a.key, &a.message).cmp(&(b.rule, &b.account, &b.key, &b.message))
    });
    findings.dedup();
    Ok(Reconciliation {
        export: ExportInfo {
            sha256: export.sha256.clone(),
            date: bundle.exported_date_time.to_string(),
            age_days,
            tenant_id: bundle.tenant.id.clone(),
            tenant_domain: bundle.tenant.default_domain.clone(),
        },
        fido2_method_enabled: enabled,
        accounts,
        keys,
        other_accounts,
        findings,
    })
}
