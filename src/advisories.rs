//! Known firmware advisories, from data/advisories.toml (compiled in).

use serde::{Deserialize, Serialize};

const TABLE: &str = include_str!("../data/advisories.toml");

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Advisory {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub summary: String,
    pub source: String,
    pub affects: Vec<Affects>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Affects {
    pub description: String,
    #[serde(default)]
    pub vendor_id: Option<String>,
    #[serde(default)]
    pub aaguids: Vec<String>,
    pub firmware_below: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    advisory: Vec<Advisory>,
}

/// The compiled-in table. A malformed table is a build defect, caught by the unit test below.
pub fn table() -> Vec<Advisory> {
    toml::from_str::<File>(TABLE)
        .map(|f| f.advisory)
        .unwrap_or_default()
}

/// "5.7.4" → [5, 7, 4]; None for anything that is not dotted numbers.
pub fn parse_version(v: &str) -> Option<Vec<u32>> {
    v.trim().split('.').map(|p| p.parse().ok()).collect()
}

/// The advisories (and the matching clause) that apply to a key.
pub fn affecting(
    aaguid: &str,
    vendor_id: Option<&str>,
    firmware: Option<&str>,
) -> Vec<(Advisory, Affects)> {
    let Some(version) = firmware.and_then(parse_version) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in table() {
        for clause in &a.affects {
            let vendor_match = match (&clause.vendor_id, vendor_id) {
                (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
                _ => false,
            };
            let aaguid_match = clause
                .aaguids
                .iter()
                .any(|g| g.eq_ignore_ascii_case(aaguid));
            let below = parse_version(&clause.firmware_below).is_some_and(|limit| version < limit);
            if (vendor_match || aaguid_match) && below {
                out.push((a.clone(), clause.clone()));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_names_its_sources() {
        let t: Vec<Advisory> = toml::from_str::<File>(TABLE).unwrap().advisory;
        assert!(!t.is_empty());
        assert!(t.iter().all(|a| a.source.starts_with("https://")));
    }

    #[test]
    fn ysa_2024_03_ranges() {
        let yk5 = "a25342c0-3cdc-4414-8e46-f4807fca511c";
        let bio = "d8522d9f-575b-4866-88a9-ba99fa02f35b";
        assert_eq!(affecting(yk5, Some("1050"), Some("5.4.3")).len(), 1);
        assert!(affecting(yk5, Some("1050"), Some("5.7.0")).is_empty());
        assert!(affecting(yk5, Some("1050"), Some("5.7.4")).is_empty());
        assert_eq!(affecting(bio, Some("1050"), Some("5.7.1")).len(), 1);
        assert!(affecting(bio, Some("1050"), Some("5.7.2")).is_empty());
        // Another vendor's key at "5.4.3" is not a YubiKey.
        assert!(affecting(
            "676b7600-0000-4000-8000-000000000021",
            Some("20a0"),
            Some("5.4.3")
        )
        .is_empty());
        assert!(affecting(yk5, Some("1050"), None).is_empty());
    }
}
