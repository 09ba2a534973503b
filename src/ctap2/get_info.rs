//! authenticatorGetInfo (0x04): what the key supports and how it is configured.

use std::collections::BTreeMap;

use super::cbor::{as_i64, as_u64, Fields, Value};
use super::{code, Command, Ctap2Error};

pub struct GetInfo;

/// One entry of the `algorithms` list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Algorithm {
    pub alg: i64,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Every field that CTAP 2.1/2.2 define (0x01-0x1F). Keys a newer key sends are listed in
/// `unknown_keys` and otherwise ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuthenticatorInfo {
    pub versions: Vec<String>,
    pub extensions: Vec<String>,
    #[serde(serialize_with = "crate::util::serialize_uuid")]
    pub aaguid: [u8; 16],
    pub options: BTreeMap<String, bool>,
    pub max_msg_size: Option<u64>,
    pub pin_uv_auth_protocols: Vec<u64>,
    pub max_credential_count_in_list: Option<u64>,
    pub max_credential_id_length: Option<u64>,
    pub transports: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    pub max_serialized_large_blob_array: Option<u64>,
    pub force_pin_change: Option<bool>,
    pub min_pin_length: Option<u64>,
    pub firmware_version: Option<u64>,
    pub max_cred_blob_length: Option<u64>,
    pub max_rpids_for_set_min_pin_length: Option<u64>,
    pub preferred_platform_uv_attempts: Option<u64>,
    pub uv_modality: Option<u64>,
    pub certifications: BTreeMap<String, u64>,
    pub remaining_discoverable_credentials: Option<u64>,
    pub vendor_prototype_config_commands: Vec<u64>,
    pub attestation_formats: Vec<String>,
    pub uv_count_since_last_pin_entry: Option<u64>,
    pub long_touch_for_reset: Option<bool>,
    #[serde(serialize_with = "crate::util::serialize_opt_hex")]
    pub enc_identifier: Option<Vec<u8>>,
    pub transports_for_reset: Vec<String>,
    pub pin_complexity_policy: Option<bool>,
    pub pin_complexity_policy_url: Option<String>,
    pub max_pin_length: Option<u64>,
    #[serde(serialize_with = "crate::util::serialize_opt_hex")]
    pub enc_cred_store_state: Option<Vec<u8>>,
    pub authenticator_config_commands: Vec<u64>,
    pub unknown_keys: Vec<i64>,
}

/// How a key exposes credential management, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CredMgmtFlavor {
    /// authenticatorCredentialManagement 0x0A (CTAP 2.1).
    Standard,
    /// The 0x41 prototype of CTAP 2.1-PRE keys.
    Preview,
}

impl AuthenticatorInfo {
    pub fn option(&self, name: &str) -> Option<bool> {
        self.options.get(name).copied()
    }

    pub fn has_version(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }

    /// CTAP 2.1 or later: the relaxations of 2.1 (e.g. getPINRetries without a protocol)
    /// apply. 2.1-PRE keys are CTAP 2.0 keys with prototypes.
    pub fn is_ctap21(&self) -> bool {
        self.versions
            .iter()
            .any(|v| v.starts_with("FIDO_2_") && v != "FIDO_2_0" && v != "FIDO_2_1_PRE")
    }

    /// Some(true) PIN set, Some(false) PIN supported but not set, None no PIN support.
    pub fn pin_set(&self) -> Option<bool> {
        self.option("clientPin")
    }

    pub fn cred_mgmt(&self) -> Option<CredMgmtFlavor> {
        if self.option("credMgmt") == Some(true) {
            Some(CredMgmtFlavor::Standard)
        } else if self.option("credentialMgmtPreview") == Some(true) {
            Some(CredMgmtFlavor::Preview)
        } else {
            None
        }
    }

    /// CTAP 2.1 tokens with permissions (getPinUvAuthTokenUsingPinWithPermissions).
    pub fn supports_permissions(&self) -> bool {
        self.option("pinUvAuthToken") == Some(true)
    }

    /// The read-only credential management permission of CTAP 2.2.
    pub fn supports_pcmr(&self) -> bool {
        self.option("perCredMgmtRO") == Some(true)
    }

    /// The PIN/UV auth protocols glasskey can use, in the key's order of preference (CTAP 2.1
    /// §6.4: "in order of decreasing authenticator preference"). A CTAP 2.0 key that omits the
    /// list implicitly supports protocol 1.
    pub fn pin_protocols(&self) -> Vec<u8> {
        let mut listed: Vec<u8> = Vec::new();
        for p in self
            .pin_uv_auth_protocols
            .iter()
            .filter_map(|p| u8::try_from(*p).ok())
        {
            if (p == 1 || p == 2) && !listed.contains(&p) {
                listed.push(p);
            }
        }
        if listed.is_empty() && self.pin_set().is_some() {
            listed.push(1);
        }
        listed
    }

    pub fn aaguid_string(&self) -> String {
        crate::util::format_uuid(&self.aaguid)
    }

    pub fn parse(value: &Value) -> Result<Self, Ctap2Error> {
        let f = Fields::new(value, "getInfo")?;
        let aaguid_bytes = f.bytes(0x03)?.ok_or_else(|| f.missing("aaguid"))?;
        let aaguid: [u8; 16] = aaguid_bytes.try_into().map_err(|_| {
            Ctap2Error::Protocol(format!(
                "AAGUID is {} bytes, expected 16",
                aaguid_bytes.len()
            ))
        })?;
        let mut options = BTreeMap::new();
        if let Some(map) = f.map(0x04)? {
            for (k, v) in Fields::new(map, "getInfo.options")?.entries() {
                match (k.as_text(), v.as_bool()) {
                    (Some(name), Some(flag)) => {
                        options.insert(name.to_owned(), flag);
                    }
                    _ => {
                        return Err(Ctap2Error::Protocol(
                            "getInfo.options must map names to booleans".into(),
                        ))
                    }
                }
            }
        }
        let mut algorithms = Vec::new();
        for entry in f.array(0x0A)?.unwrap_or_default() {
            let a = Fields::new(entry, "getInfo.algorithms")?;
            let alg = a
                .get_text_key("alg")
                .and_then(as_i64)
                .ok_or_else(|| a.missing("alg"))?;
            let kind = a.text_field("type")?.unwrap_or_default().to_owned();
            algorithms.push(Algorithm { alg, kind });
        }
        let mut certifications = BTreeMap::new();
        if let Some(map) = f.map(0x13)? {
            for (k, v) in Fields::new(map, "getInfo.certifications")?.entries() {
                if let (Some(name), Some(level)) = (k.as_text(), as_u64(v)) {
                    certifications.insert(name.to_owned(), level);
                }
            }
        }
        let unknown_keys = f
            .int_keys()
            .into_iter()
            .filter(|k| !(0x01..=0x1F).contains(k))
            .collect();
        Ok(Self {
            versions: f.text_array(0x01)?.ok_or_else(|| f.missing("versions"))?,
            extensions: f.text_array(0x02)?.unwrap_or_default(),
            aaguid,
            options,
            max_msg_size: f.uint(0x05)?,
            pin_uv_auth_protocols: f.uint_array(0x06)?.unwrap_or_default(),
            max_credential_count_in_list: f.uint(0x07)?,
            max_credential_id_length: f.uint(0x08)?,
            transports: f.text_array(0x09)?.unwrap_or_default(),
            algorithms,
            max_serialized_large_blob_array: f.uint(0x0B)?,
            force_pin_change: f.bool(0x0C)?,
            min_pin_length: f.uint(0x0D)?,
            firmware_version: f.uint(0x0E)?,
            max_cred_blob_length: f.uint(0x0F)?,
            max_rpids_for_set_min_pin_length: f.uint(0x10)?,
            preferred_platform_uv_attempts: f.uint(0x11)?,
            uv_modality: f.uint(0x12)?,
            certifications,
            remaining_discoverable_credentials: f.uint(0x14)?,
            vendor_prototype_config_commands: f.uint_array(0x15)?.unwrap_or_default(),
            attestation_formats: f.text_array(0x16)?.unwrap_or_default(),
            uv_count_since_last_pin_entry: f.uint(0x17)?,
            long_touch_for_reset: f.bool(0x18)?,
            enc_identifier: f.bytes(0x19)?.map(<[u8]>::to_vec),
            transports_for_reset: f.text_array(0x1A)?.unwrap_or_default(),
            pin_complexity_policy: f.bool(0x1B)?,
            // CTAP 2.2 defines this as a byte string holding a URL.
            pin_complexity_policy_url: match f.get(0x1C) {
                Some(Value::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
                Some(Value::Text(t)) => Some(t.clone()),
                _ => None,
            },
            max_pin_length: f.uint(0x1D)?,
            enc_cred_store_state: f.bytes(0x1E)?.map(<[u8]>::to_vec),
            authenticator_config_commands: f.uint_array(0x1F)?.unwrap_or_default(),
            unknown_keys,
        })
    }
}

impl Command for GetInfo {
    type Response = AuthenticatorInfo;

    fn code(&self) -> u8 {
        code::GET_INFO
    }

    fn params(&self) -> Option<Value> {
        None
    }

    fn parse(&self, body: Option<&Value>) -> Result<AuthenticatorInfo, Ctap2Error> {
        let body = body.ok_or_else(|| Ctap2Error::Protocol("getInfo reply has no body".into()))?;
        AuthenticatorInfo::parse(body)
    }
}
