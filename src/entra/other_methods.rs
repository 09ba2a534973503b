//! The methods of an account other than its passkeys: a Temporary Access Pass (GK033), and
//! methods that are not phishing-resistant or live on a person's device (GK034).

use super::export::AccountExport;
use super::method::{self, Detail, Method};
use super::methods::{describe, MethodKind};
use super::reconcile::finding;
use super::rules::{TEMPORARY_ACCESS_PASS, WEAK_METHOD};
use super::view::MethodView;
use crate::audit::{Finding, Severity};

/// Appends the findings and the views of every method of `a` that is not a passkey.
pub fn check(
    a: &AccountExport,
    upn: &str,
    findings: &mut Vec<Finding>,
    views: &mut Vec<MethodView>,
) {
    for m in a.methods.value.iter() {
        let kind = m.kind();
        match (kind, &m.detail) {
            (MethodKind::Fido2, _) => continue,
            (_, Detail::TemporaryAccessPass(tap)) => findings.push(tap_finding(upn, m, tap)),
            (k, _) if k.is_weak_or_personal() => findings.push(finding(
                &WEAK_METHOD,
                None,
                upn,
                format!("{} is registered", describe(k, m)),
            )),
            _ => {}
        }
        views.push(MethodView {
            kind,
            odata_type: m.unknown_type().cloned(),
            id: m.id.clone(),
            display_name: m.display_name.clone(),
            created: m.created,
            last_used: m.last_used,
            key: None,
        });
    }
}

/// GK033: high while the pass works or will, low once it cannot.
fn tap_finding(upn: &str, m: &Method, tap: &method::TemporaryAccessPass) -> Finding {
    let reason = tap.usability_reason.as_deref().unwrap_or("no reason given");
    let live = tap.is_usable == Some(true) || reason.eq_ignore_ascii_case("NotYetValid");
    let when = tap
        .start
        .map(|s| {
            format!(
                ", valid from {s} for {} minutes",
                tap.lifetime_minutes.unwrap_or(0)
            )
        })
        .unwrap_or_default();
    let mut f = finding(
        &TEMPORARY_ACCESS_PASS,
        None,
        upn,
        if live {
            format!(
                "a Temporary Access Pass (id {}) is usable or not yet valid ({reason}{when})",
                m.id
            )
        } else {
            format!(
                "an expired or used Temporary Access Pass (id {}) is still listed ({reason}{when})",
                m.id
            )
        },
    );
    if !live {
        f.severity = Severity::Low;
    }
    f
}
