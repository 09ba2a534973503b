//! The read-only export scripts glasskey prints (docs/entra-export.md). The admin runs them with
//! their own Graph session; glasskey never sees a token. Both write the same bundle: the tenant,
//! the FIDO2 method policy, and per account the raw responses of four Graph requests, with every
//! page of a collection joined (a bundle that still carries `@odata.nextLink` is refused).

/// Least-privilege delegated scopes for the PowerShell script: users and their groups, their
/// authentication methods, sign-in activity (needs a Microsoft Entra ID P1/P2 licence), and the
/// authentication methods policy.
pub const SCOPES: &[&str] = &[
    "User.Read.All",
    "GroupMember.Read.All",
    "UserAuthenticationMethod.Read.All",
    "AuditLog.Read.All",
    "Policy.Read.AuthenticationMethod",
];

/// The error code Graph answers (403) for `signInActivity` in a tenant without a Microsoft Entra
/// ID P1/P2 licence: the one failure after which the scripts read the user without it.
pub const NO_LICENCE: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} cannot go into a script: a UPN or tenant holds no quotes, spaces or control characters"
)]
pub struct UnsafeName(pub String);

/// UPNs and tenant names are typed by people; only characters Entra allows in a UPN (less the
/// apostrophe, which both shells use as their quote) get into a script.
fn checked(name: &str) -> Result<&str, UnsafeName> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.-_!#^~+".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(UnsafeName(name.to_owned()))
    }
}

fn names(tenant: &str, upns: &[&str]) -> Result<Vec<String>, UnsafeName> {
    checked(tenant)?;
    upns.iter()
        .map(|u| checked(u).map(|u| format!("'{u}'")))
        .collect()
}

pub fn powershell(tenant: &str, upns: &[&str]) -> Result<String, UnsafeName> {
    let list = names(tenant, upns)?.join(", ");
    let scopes: Vec<String> = SCOPES.iter().map(|s| format!("'{s}'")).collect();
    Ok(format!(
        r#"#Requires -Version 7
#Requires -Modules Microsoft.Graph.Authentication
# glasskey Entra export for {tenant}: READ-ONLY (GET requests only).
# Sign in as a Global Reader (or an admin with the scopes below). The output file is what
# `glasskey entra check --export FILE` reads; do not edit it.
param([string]$Out = 'glasskey-entra-export.json')
$ErrorActionPreference = 'Stop'
$Upns = @({list})
Connect-MgGraph -TenantId '{tenant}' -Scopes {scopes} -NoWelcome

function Get-Graph([string]$Uri) {{
    Invoke-MgGraphRequest -Method GET -Uri $Uri -OutputType Hashtable
}}
# A collection with every page joined: glasskey refuses an export that still has a next page.
function Get-AllPages([string]$Uri) {{
    $first = Get-Graph $Uri
    $items = [System.Collections.Generic.List[object]]::new()
    $page = $first
    while ($true) {{
        foreach ($v in $page['value']) {{ $items.Add($v) }}
        $next = $page['@odata.nextLink']
        if (-not $next) {{ break }}
        $page = Get-Graph $next
    }}
    $first.Remove('@odata.nextLink')
    $first['value'] = $items.ToArray()
    $first
}}

$org = (Get-Graph 'https://graph.microsoft.com/v1.0/organization?$select=id,verifiedDomains')['value'][0]
$domains = @($org['verifiedDomains'] | ForEach-Object {{ $_['name'] }})
$default = @($org['verifiedDomains'] | Where-Object {{ $_['isDefault'] }})[0]['name']
$initial = @($org['verifiedDomains'] | Where-Object {{ $_['isInitial'] }})[0]['name']
$accounts = foreach ($upn in $Upns) {{
    $u = [uri]::EscapeDataString($upn)
    $select = 'id,userPrincipalName,accountEnabled,onPremisesSyncEnabled'
    try {{
        $user = Get-Graph "https://graph.microsoft.com/v1.0/users/$u`?`$select=$select,signInActivity"
    }} catch {{
        # signInActivity needs a Microsoft Entra ID P1/P2 licence (without one Graph answers 403
        # {licence}); the check says when it is absent. Any other failure stops the script.
        if ("$($_.ErrorDetails.Message) $($_.Exception.Message)" -notmatch '{licence}') {{ throw }}
        $user = Get-Graph "https://graph.microsoft.com/v1.0/users/$u`?`$select=$select"
    }}
    [ordered]@{{
        upn                = $upn
        user               = $user
        methods            = Get-AllPages "https://graph.microsoft.com/v1.0/users/$u/authentication/methods"
        fido2Methods       = Get-AllPages "https://graph.microsoft.com/beta/users/$u/authentication/fido2Methods"
        transitiveMemberOf = Get-AllPages "https://graph.microsoft.com/v1.0/users/$u/transitiveMemberOf?`$select=id"
    }}
}}
$bundle = [ordered]@{{
    glasskeyEntraExport = 1
    exportedDateTime    = [DateTime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture)
    tenant              = [ordered]@{{ id = $org['id']; defaultDomain = $default; initialDomain = $initial; verifiedDomains = $domains }}
    fido2Configuration  = Get-Graph 'https://graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2'
    accounts            = @($accounts)
}}
$bundle | ConvertTo-Json -Depth 32 | Set-Content -Path $Out -Encoding utf8NoBOM
Write-Host "Wrote $Out. Next: glasskey entra check --inventory INVENTORY --export $Out"
"#,
        scopes = scopes.join(", "),
        licence = NO_LICENCE,
    ))
}

pub fn bash(tenant: &str, upns: &[&str]) -> Result<String, UnsafeName> {
    let list = names(tenant, upns)?.join(" ");
    Ok(format!(
        r#"#!/usr/bin/env bash
# glasskey Entra export for {tenant}: READ-ONLY (GET requests only), with the Azure CLI and jq.
# Sign in first as a Global Reader: az login --tenant {tenant} --allow-no-subscriptions
# The output file is what `glasskey entra check --export FILE` reads; do not edit it.
set -euo pipefail
out=${{1:-glasskey-entra-export.json}}
upns=({list})
graph=https://graph.microsoft.com
get() {{ az rest --method get --url "$1" --headers 'ConsistencyLevel=eventual' --output json; }}
# A collection with every page joined: glasskey refuses an export that still has a next page.
get_all() {{
  local page items next
  page=$(get "$1")
  items=$(jq '.value' <<<"$page")
  next=$(jq -r '."@odata.nextLink" // empty' <<<"$page")
  while [ -n "$next" ]; do
    local more
    more=$(get "$next")
    items=$(jq -s '.[0] + .[1].value' <(printf '%s' "$items") <(printf '%s' "$more"))
    next=$(jq -r '."@odata.nextLink" // empty' <<<"$more")
  done
  jq --argjson items "$items" 'del(."@odata.nextLink") | .value = $items' <<<"$page"
}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
org=$(get "$graph/v1.0/organization?\$select=id,verifiedDomains" | jq '.value[0]')
: >"$tmp/accounts"
for upn in "${{upns[@]}}"; do
  u=$(jq -rn --arg u "$upn" '$u|@uri')
  select='id,userPrincipalName,accountEnabled,onPremisesSyncEnabled'
  # signInActivity needs a Microsoft Entra ID P1/P2 licence (without one Graph answers 403
  # {licence}); the check says when it is absent. Any other failure stops the script.
  if ! user=$(get "$graph/v1.0/users/$u?\$select=$select,signInActivity" 2>"$tmp/err"); then
    if ! grep -q '{licence}' "$tmp/err"; then
      cat "$tmp/err" >&2
      echo "glasskey: reading $upn failed; run the script again" >&2
      exit 1
    fi
    user=$(get "$graph/v1.0/users/$u?\$select=$select")
  fi
  get_all "$graph/v1.0/users/$u/authentication/methods" >"$tmp/methods"
  get_all "$graph/beta/users/$u/authentication/fido2Methods" >"$tmp/fido2"
  get_all "$graph/v1.0/users/$u/transitiveMemberOf?\$select=id" >"$tmp/groups"
  jq -n --arg upn "$upn" --argjson user "$user" \
    --slurpfile m "$tmp/methods" --slurpfile f "$tmp/fido2" --slurpfile g "$tmp/groups" \
    '{{upn: $upn, user: $user, methods: $m[0], fido2Methods: $f[0], transitiveMemberOf: $g[0]}}' >>"$tmp/accounts"
done
get "$graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2" >"$tmp/fido2config"
jq -n --argjson org "$org" --slurpfile accounts "$tmp/accounts" --slurpfile fido2 "$tmp/fido2config" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  '{{glasskeyEntraExport: 1, exportedDateTime: $date,
    tenant: {{id: $org.id, defaultDomain: ($org.verifiedDomains[] | select(.isDefault) | .name),
             initialDomain: ([$org.verifiedDomains[] | select(.isInitial) | .name] | first),
             verifiedDomains: [$org.verifiedDomains[].name]}},
    fido2Configuration: $fido2[0], accounts: $accounts}}' >"$out.tmp"
mv "$out.tmp" "$out"
echo "Wrote $out. Next: glasskey entra check --inventory INVENTORY --export $out" >&2
"#,
        licence = NO_LICENCE,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_carry_the_upns_quoted_and_refuse_unsafe_names() {
        let ps = powershell(
            "contoso.onmicrosoft.com",
            &["bg-01@contoso.onmicrosoft.com"],
        )
        .unwrap();
        assert!(ps.contains("$Upns = @('bg-01@contoso.onmicrosoft.com')"));
        assert!(ps.contains("'Policy.Read.AuthenticationMethod'"));
        let sh = bash("contoso.onmicrosoft.com", &["a@x", "b@x"]).unwrap();
        assert!(sh.contains("upns=('a@x' 'b@x')"));
        assert_eq!(
            bash("t", &["x'; rm -rf /; '@y"]),
            Err(UnsafeName("x'; rm -rf /; '@y".into()))
        );
        assert!(powershell("t\n", &[]).is_err());
        assert!(powershell("t", &["a$(calc)@x"]).is_err());
    }

    /// PowerShell is not available to run the script (docs/entra-export.md): what it says is
    /// checked as text. The date is written with the invariant culture (a custom format's ':'
    /// is the culture's time separator), and only the licence refusal is caught.
    #[test]
    fn powershell_writes_an_invariant_date_and_falls_back_only_without_a_licence() {
        let ps = powershell("contoso.onmicrosoft.com", &["a@contoso.com"]).unwrap();
        assert!(ps.contains(
            "[DateTime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture)"
        ));
        assert!(!ps.contains("ToString('yyyy"));
        assert!(ps.contains(&format!("-notmatch '{NO_LICENCE}') {{ throw }}")));
    }
}
