//! Entra-shaped exports made from known passkeys, as Graph would list them: for virtual keys
//! (`glasskey entra export-virtual`, the demo), tests and the benchmark. The shapes follow
//! Microsoft's documented responses, including their two spellings of the registration date.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::credential_id;
use super::methods::PASSWORD_METHOD_ID;

const GRAPH: &str = "https://graph.microsoft.com";

pub struct SynthPasskey {
    pub credential_id: Vec<u8>,
    pub aaguid: String,
    pub model: Option<String>,
    pub display_name: String,
    pub created: OffsetDateTime,
}

pub struct SynthAccount {
    pub upn: String,
    pub passkeys: Vec<SynthPasskey>,
}

/// A stable GUID-shaped id derived from a name, so that exports of the same inventory agree.
pub fn guid_for(name: &str) -> String {
    let h = Sha256::digest(name.to_lowercase().as_bytes());
    let x = hex::encode(&h[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

fn date(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One passkey as `GET /beta/users/{upn}/authentication/fido2Methods` lists it.
pub fn fido2_method(p: &SynthPasskey) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
        "id": credential_id::encode(&p.credential_id),
        "displayName": p.display_name,
        "createdDateTime": date(p.created),
        "lastUsedDateTime": null,
        "aaGuid": p.aaguid,
        "model": p.model,
        "attestationCertificates": [],
        "attestationLevel": "attested",
        "passkeyType": "deviceBound"
    })
}

/// The same passkey as `GET /v1.0/users/{upn}/authentication/methods` lists it (which spells
/// the registration date `creationDateTime`).
pub fn fido2_in_methods_list(p: &SynthPasskey) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
        "id": credential_id::encode(&p.credential_id),
        "displayName": p.display_name,
        "creationDateTime": date(p.created),
        "aaGuid": p.aaguid,
        "model": p.model,
        "attestationCertificates": [],
        "attestationLevel": "attested"
    })
}

/// A Temporary Access Pass as the methods list shows it (the pass itself is never returned).
pub fn temporary_access_pass(
    id: &str,
    start: OffsetDateTime,
    lifetime_minutes: i64,
    usable: bool,
    reason: &str,
) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": id,
        "temporaryAccessPass": null,
        "createdDateTime": date(start),
        "startDateTime": date(start),
        "lifetimeInMinutes": lifetime_minutes,
        "isUsableOnce": true,
        "isUsable": usable,
        "methodUsabilityReason": reason
    })
}

fn collection(context: String, value: Vec<Value>) -> Value {
    json!({ "@odata.context": context, "value": value })
}

/// A whole export: the tenant, its FIDO2 policy (enabled for all users, no key restrictions)
/// and each account with a password and its passkeys.
pub fn export(tenant: &str, exported: OffsetDateTime, accounts: &[SynthAccount]) -> Value {
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|a| {
            let user_id = guid_for(&a.upn);
            let mut methods = vec![json!({
                "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
                "id": PASSWORD_METHOD_ID,
                "password": null,
                "createdDateTime": date(exported)
            })];
            methods.extend(a.passkeys.iter().map(fido2_in_methods_list));
            json!({
                "upn": a.upn,
                "user": {
                    "@odata.context": format!("{GRAPH}/v1.0/$metadata#users(id,userPrincipalName,accountEnabled,onPremisesSyncEnabled)/$entity"),
                    "id": user_id,
                    "userPrincipalName": a.upn,
                    "accountEnabled": true,
                    "onPremisesSyncEnabled": null
                },
                "methods": collection(format!("{GRAPH}/v1.0/$metadata#users('{user_id}')/authentication/methods"), methods),
                "fido2Methods": collection(
                    format!("{GRAPH}/beta/$metadata#users('{user_id}')/authentication/fido2Methods"),
                    a.passkeys.iter().map(fido2_method).collect(),
                ),
                "transitiveMemberOf": collection(format!("{GRAPH}/v1.0/$metadata#directoryObjects(id)"), Vec::new())
            })
        })
        .collect();
    json!({
        "glasskeyEntraExport": super::export::FORMAT_VERSION,
        "exportedDateTime": date(exported),
        "tenant": { "id": guid_for(tenant), "defaultDomain": tenant, "verifiedDomains": [tenant] },
        "fido2Configuration": {
            "@odata.context": format!("{GRAPH}/v1.0/$metadata#authenticationMethodConfigurations/$entity"),
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
            "id": "Fido2",
            "state": "enabled",
            "isSelfServiceRegistrationAllowed": true,
            "isAttestationEnforced": true,
            "keyRestrictions": { "isEnforced": false, "enforcementType": "block", "aaGuids": [] },
            "includeTargets": [ { "targetType": "group", "id": "all_users", "isRegistrationRequired": false } ],
            "excludeTargets": []
        },
        "accounts": accounts
    })
}

/// Adds a method to an account's methods list (and, for a passkey, to its fido2Methods list).
pub fn add_method(export: &mut Value, upn: &str, method: Value) -> bool {
    let Some(account) = export["accounts"].as_array_mut().and_then(|a| {
        a.iter_mut().find(|a| {
            a["upn"]
                .as_str()
                .is_some_and(|u| u.eq_ignore_ascii_case(upn))
        })
    }) else {
        return false;
    };
    let is_fido2 = method["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethod";
    if is_fido2 {
        if let Some(list) = account["fido2Methods"]["value"].as_array_mut() {
            list.push(method.clone());
        }
    }
    account["methods"]["value"]
        .as_array_mut()
        .map(|list| list.push(method))
        .is_some()
}
