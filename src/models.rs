//! Model names for AAGUIDs glasskey knows. A missing entry is not a finding by itself: the
//! AAGUID is always shown, and policy allow-lists match on AAGUIDs, never on names.

const MODELS: &[(&str, &str)] = &[
    (
        "cb69481e-8ff7-4039-93ec-0a2729a154a8",
        "YubiKey 5 Series (firmware 5.1)",
    ),
    (
        "ee882879-721c-4913-9775-3dfcce97072a",
        "YubiKey 5 Series (firmware 5.2/5.4)",
    ),
    (
        "fa2b99dc-9e39-4257-8f92-4a30d23c4118",
        "YubiKey 5 Series with NFC (firmware 5.1)",
    ),
    (
        "2fc0579f-8113-47ea-b116-bb5a8db9202a",
        "YubiKey 5 Series with NFC (firmware 5.2/5.4)",
    ),
    (
        "a25342c0-3cdc-4414-8e46-f4807fca511c",
        "YubiKey 5 Series with NFC (firmware 5.7)",
    ),
    (
        "19083c3d-8383-4b18-bc03-8f1c9ab2fd1b",
        "YubiKey 5 Series (firmware 5.7)",
    ),
    (
        "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9",
        "glasskey virtual key (imitates a YubiKey 5 NFC, firmware 5.7)",
    ),
    (
        "b3f2efe5-cf71-4fba-956b-54987f8d8393",
        "glasskey virtual key (imitates a YubiKey 5 NFC, firmware 5.4)",
    ),
    (
        "676b7600-0000-4000-8000-000000000020",
        "glasskey virtual key (CTAP 2.0, no resident keys)",
    ),
    (
        "676b7600-0000-4000-8000-000000000021",
        "glasskey virtual key (CTAP 2.1-PRE)",
    ),
    (
        "676b7600-0000-4000-8000-000000000022",
        "glasskey virtual key (CTAP 2.2)",
    ),
    (
        "676b7600-0000-4000-8000-000000000131",
        "glasskey virtual key (CTAP 2.0, strict)",
    ),
    (
        "676b7600-0000-4000-8000-000000000132",
        "glasskey virtual key (empty-body credential store)",
    ),
    (
        "676b7600-0000-4000-8000-000000000133",
        "glasskey virtual key (mixed algorithms)",
    ),
    (
        "676b7600-0000-4000-8000-000000000134",
        "glasskey virtual key (small allow-list limits)",
    ),
    (
        "676b7600-0000-4000-8000-000000000135",
        "glasskey virtual key (always UPNEEDED)",
    ),
];

/// The AAGUIDs of glasskey's virtual key profiles (src/virtual_key/profile.rs): glasskey's
/// own, never a vendor's, so an AAGUID allow-list can always tell a software key apart.
pub const GLASSKEY_VIRTUAL_AAGUIDS: &[&str] = &[
    "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9",
    "b3f2efe5-cf71-4fba-956b-54987f8d8393",
    "676b7600-0000-4000-8000-000000000020",
    "676b7600-0000-4000-8000-000000000021",
    "676b7600-0000-4000-8000-000000000022",
    "676b7600-0000-4000-8000-000000000131",
    "676b7600-0000-4000-8000-000000000132",
    "676b7600-0000-4000-8000-000000000133",
    "676b7600-0000-4000-8000-000000000134",
    "676b7600-0000-4000-8000-000000000135",
];

pub fn is_glasskey_virtual(aaguid: &str) -> bool {
    GLASSKEY_VIRTUAL_AAGUIDS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(aaguid))
}

/// Where a report's model name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelSource {
    /// The description in the imported FIDO MDS BLOB's entry for the AAGUID.
    FidoMds,
    /// This file's table: the fallback when no MDS entry names the model.
    GlasskeyTable,
}

impl ModelSource {
    /// The words reports put after the name.
    pub fn words(self) -> &'static str {
        match self {
            Self::FidoMds => "from the FIDO MDS",
            Self::GlasskeyTable => "from glasskey's fallback table",
        }
    }
}

/// The model name for `aaguid`: the MDS entry's description when there is one, else this
/// table's name, else none.
pub fn name_and_source(
    aaguid: &str,
    mds_description: Option<&str>,
) -> (Option<String>, Option<ModelSource>) {
    match mds_description {
        Some(d) => (Some(d.to_owned()), Some(ModelSource::FidoMds)),
        None => match model_name(aaguid) {
            Some(m) => (Some(m.to_owned()), Some(ModelSource::GlasskeyTable)),
            None => (None, None),
        },
    }
}

/// "NAME (from …)", or `unknown` when no name is known.
pub fn shown_with_source(
    model: Option<&str>,
    source: Option<ModelSource>,
    unknown: &str,
) -> String {
    use crate::untrusted::shown_or;
    match source {
        Some(s) => format!("{} ({})", shown_or(model, unknown), s.words()),
        None => shown_or(model, unknown).to_string(),
    }
}

pub fn model_name(aaguid: &str) -> Option<&'static str> {
    MODELS
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(aaguid))
        .map(|(_, m)| *m)
}
