//! What a parsed export must also satisfy to be one Graph could have produced, each refusal
//! naming the path inside the JSON: every page is there, each list names each method once, the
//! methods name their types, every passkey id is a credential ID, and one credential is
//! registered on one account only (WebAuthn credential IDs are unique: the same one on two
//! accounts is a spliced or edited export).

use std::collections::HashMap;

use super::credential_id;
use super::export::{AccountExport, Bundle};
use super::method::{Detail, Method};
use super::methods::MethodKind;
use super::EntraError;

pub fn check(bundle: &mut Bundle) -> Result<(), EntraError> {
    for (i, a) in bundle.accounts.0.iter_mut().enumerate() {
        complete(i, a)?;
        for (list, methods) in [
            ("fido2Methods", &mut a.fido2_methods.value.0),
            ("methods", &mut a.methods.value.0),
        ] {
            let path = |j: usize| format!("accounts[{i}].{list}.value[{j}]");
            if let Some((first, again)) = listed_twice(methods) {
                return Err(EntraError::Json {
                    path: format!("{}.id", path(again)),
                    message: format!(
                        "{:?} is listed twice (also at value[{first}]): Graph lists each method once",
                        methods[again].id
                    ),
                });
            }
            for (j, m) in methods.iter_mut().enumerate() {
                settle_kind(m, list == "fido2Methods").map_err(|message| EntraError::Json {
                    path: format!("{}.@odata.type", path(j)),
                    message: message.into(),
                })?;
                let id = &m.id;
                if let Detail::Passkey(p) = &mut m.detail {
                    let bytes = credential_id::decode(id).map_err(|reason| {
                        EntraError::BadCredentialId {
                            path: format!("{}.id", path(j)),
                            id: id.to_string(),
                            reason,
                        }
                    })?;
                    p.credential_id = bytes.into_boxed_slice();
                }
            }
        }
    }
    one_account_per_credential(bundle)?;
    super::chronology::check(bundle)?;
    super::agreement::check(bundle)
}

/// A collection that still has a next page is an export cut short.
fn complete(i: usize, a: &AccountExport) -> Result<(), EntraError> {
    let pages = [
        ("methods", a.methods.next_link.is_some()),
        ("fido2Methods", a.fido2_methods.next_link.is_some()),
        (
            "transitiveMemberOf",
            a.transitive_member_of.next_link.is_some(),
        ),
    ];
    match pages.iter().find(|(_, more)| *more) {
        Some((name, _)) => Err(EntraError::Incomplete {
            path: format!("accounts[{i}].{name}.@odata.nextLink"),
        }),
        None => Ok(()),
    }
}

/// The first id given twice in one list: (first index, second index).
fn listed_twice(methods: &[Method]) -> Option<(usize, usize)> {
    // Lists are short (a handful of methods); a long one gets a map rather than n² compares.
    if methods.len() <= 32 {
        return methods.iter().enumerate().find_map(|(j, m)| {
            methods[..j]
                .iter()
                .position(|earlier| earlier.id == m.id)
                .map(|first| (first, j))
        });
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(methods.len());
    methods
        .iter()
        .enumerate()
        .find_map(|(j, m)| seen.insert(&m.id, j).map(|first| (first, j)))
}

/// fido2Methods holds passkeys only (their type may go unnamed); in the methods list every
/// method names its type.
fn settle_kind(m: &mut Method, fido2_list: bool) -> Result<(), &'static str> {
    match (m.kind, fido2_list) {
        (None, true) => m.kind = Some(MethodKind::Fido2),
        (Some(MethodKind::Fido2), _) | (Some(_), false) => {}
        (Some(_), true) => return Err("fido2Methods lists only fido2AuthenticationMethod"),
        (None, false) => return Err("missing: every method in the methods list names its type"),
    }
    Ok(())
}

fn one_account_per_credential(bundle: &Bundle) -> Result<(), EntraError> {
    let mut owner: HashMap<&[u8], usize> = HashMap::new();
    for (i, a) in bundle.accounts.iter().enumerate() {
        for (list, methods) in [
            ("fido2Methods", &a.fido2_methods.value),
            ("methods", &a.methods.value),
        ] {
            for (j, m) in methods.iter().enumerate() {
                let Some(p) = m.passkey() else { continue };
                let first = *owner.entry(&p.credential_id).or_insert(i);
                if first != i {
                    return Err(EntraError::Json {
                        path: format!("accounts[{i}].{list}.value[{j}].id"),
                        message: format!(
                            "passkey {:?} is also registered for {}: one credential belongs to one account",
                            m.id, bundle.accounts[first].upn
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}
