//! Profiles that imitate real keys closely enough to exercise every code path glasskey has for
//! them: CTAP 2.1 vs 2.1-PRE credential management, vendor serials, keys without PIN or
//! resident-key support, firmware on either side of an advisory.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredMgmt {
    Standard,
    /// Only the 0x41 prototype of CTAP 2.1-PRE.
    Preview,
    None,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: &'static str,
    pub description: &'static str,
    pub versions: &'static [&'static str],
    /// glasskey's own AAGUID, never a vendor's (DESIGN §3.9): the YubiKey-like profiles imitate
    /// a YubiKey's behaviour under fixed random AAGUIDs; the generic ones carry AAGUIDs under
    /// 676b7600-… ("gkv"). All are listed in `models::GLASSKEY_VIRTUAL_AAGUIDS`.
    pub aaguid: &'static str,
    pub firmware: [u8; 3],
    /// Answers the YubiKey read-config vendor command with its serial.
    pub yubikey_config: bool,
    pub form_factor: u8,
    pub cred_mgmt: CredMgmt,
    pub resident_keys: bool,
    pub max_resident: u32,
    pub pin_protocols: &'static [u8],
    /// CTAP 2.1 tokens with permissions, powerCycleState.
    pub ctap21: bool,
    pub per_cred_mgmt_ro: bool,
    pub make_cred_uv_not_rqd: bool,
    pub min_pin_length: u8,
    pub max_msg_size: u32,
    pub vendor_id: u16,
    pub product_id: u16,
    pub manufacturer: &'static str,
    pub product: &'static str,
    /// getInfo maxCredentialCountInList and maxCredentialIdLength; allow lists beyond either
    /// are refused with CTAP2_ERR_LIMIT_EXCEEDED.
    pub max_credential_count_in_list: u32,
    pub max_credential_id_length: u32,
    /// COSE algorithms in getInfo, in the key's order.
    pub algorithms: &'static [i64],
    /// The CTAPHID WINK capability.
    pub wink: bool,
    pub quirks: Quirks,
}

/// Firmware behaviours seen in the field, each one switchable on its own so that a test can
/// show glasskey copes with exactly that behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    /// CTAP 2.0 §5.5.3: pinProtocol is required on every clientPIN subcommand, getPINRetries
    /// included; without it the key answers CTAP2_ERR_OTHER.
    pub pin_protocol_required: bool,
    /// An empty credential store answers enumerateRPsBegin with a bare CTAP2_OK and no body
    /// (CTAP 2.1 §6.8.3 says CTAP2_ERR_NO_CREDENTIALS).
    pub empty_store_body: bool,
    /// Sends KEEPALIVE UPNEEDED before every CBOR reply, even when no touch is needed.
    pub always_up_needed: bool,
    /// getInfo carries only CTAP 2.0's fields (0x01-0x06) and no extensions.
    pub get_info_ctap20_only: bool,
    /// Issues a persistent token (CTAP 2.2 pcmr) that survives power cycles and replaces the
    /// one saved before; the state file shows it.
    pub persistent_tokens: bool,
}

pub const NO_QUIRKS: Quirks = Quirks {
    pin_protocol_required: false,
    empty_store_body: false,
    always_up_needed: false,
    get_info_ctap20_only: false,
    persistent_tokens: false,
};

const YUBICO_VID: u16 = 0x1050;

pub const PROFILES: &[Profile] = &[
    Profile {
        name: "yubikey-5.7",
        description: "CTAP 2.1 key like a YubiKey 5 NFC on firmware 5.7.4 (serial over the FIDO interface)",
        versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"],
        aaguid: "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9",
        firmware: [5, 7, 4],
        yubikey_config: true,
        form_factor: 0x01,
        cred_mgmt: CredMgmt::Standard,
        resident_keys: true,
        max_resident: 100,
        pin_protocols: &[2, 1],
        ctap21: true,
        per_cred_mgmt_ro: false,
        make_cred_uv_not_rqd: true,
        min_pin_length: 4,
        max_msg_size: 1280,
        vendor_id: YUBICO_VID,
        product_id: 0x0407,
        manufacturer: "Yubico (glasskey virtual)",
        product: "YubiKey OTP+FIDO+CCID",
        ..DEFAULTS
    },
    Profile {
        name: "yubikey-5.4",
        description: "Older YubiKey 5 NFC on firmware 5.4.3: CTAP 2.1-PRE, below the YSA-2024-03 fix",
        versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"],
        aaguid: "b3f2efe5-cf71-4fba-956b-54987f8d8393",
        firmware: [5, 4, 3],
        yubikey_config: true,
        form_factor: 0x01,
        cred_mgmt: CredMgmt::Preview,
        resident_keys: true,
        max_resident: 25,
        pin_protocols: &[1],
        ctap21: false,
        per_cred_mgmt_ro: false,
        make_cred_uv_not_rqd: false,
        min_pin_length: 4,
        max_msg_size: 1200,
        vendor_id: YUBICO_VID,
        product_id: 0x0407,
        manufacturer: "Yubico (glasskey virtual)",
        product: "YubiKey OTP+FIDO+CCID",
        ..DEFAULTS
    },
    Profile {
        name: "ctap21-pre",
        description: "A non-Yubico CTAP 2.1-PRE key with only the 0x41 credential-management prototype and no vendor serial",
        versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"],
        aaguid: "676b7600-0000-4000-8000-000000000021",
        firmware: [1, 2, 0],
        yubikey_config: false,
        form_factor: 0,
        cred_mgmt: CredMgmt::Preview,
        resident_keys: true,
        max_resident: 50,
        pin_protocols: &[1],
        ctap21: false,
        per_cred_mgmt_ro: false,
        make_cred_uv_not_rqd: false,
        min_pin_length: 4,
        max_msg_size: 1200,
        vendor_id: 0x096E,
        product_id: 0x0858,
        manufacturer: "Generic (glasskey virtual)",
        product: "FIDO2 Security Key",
        ..DEFAULTS
    },
    Profile {
        name: "ctap22",
        description: "A CTAP 2.2 key offering the read-only credential management permission (pcmr)",
        versions: &["FIDO_2_0", "FIDO_2_1", "FIDO_2_2"],
        aaguid: "676b7600-0000-4000-8000-000000000022",
        firmware: [2, 0, 0],
        yubikey_config: false,
        form_factor: 0,
        cred_mgmt: CredMgmt::Standard,
        resident_keys: true,
        max_resident: 100,
        pin_protocols: &[2, 1],
        ctap21: true,
        per_cred_mgmt_ro: true,
        make_cred_uv_not_rqd: true,
        min_pin_length: 6,
        max_msg_size: 2048,
        vendor_id: 0x20A0,
        product_id: 0x42B2,
        manufacturer: "Generic (glasskey virtual)",
        product: "FIDO2.2 Key",
        quirks: Quirks {
            persistent_tokens: true,
            ..NO_QUIRKS
        },
        ..DEFAULTS
    },
    Profile {
        name: "no-rk",
        description: "A CTAP 2.0 key without resident-key support or credential management",
        versions: &["U2F_V2", "FIDO_2_0"],
        aaguid: "676b7600-0000-4000-8000-000000000020",
        firmware: [1, 0, 0],
        yubikey_config: false,
        form_factor: 0,
        cred_mgmt: CredMgmt::None,
        resident_keys: false,
        max_resident: 0,
        pin_protocols: &[1],
        ctap21: false,
        per_cred_mgmt_ro: false,
        make_cred_uv_not_rqd: false,
        min_pin_length: 4,
        max_msg_size: 1200,
        vendor_id: 0x1EA8,
        product_id: 0xF025,
        manufacturer: "Generic (glasskey virtual)",
        product: "U2F+FIDO2 Key",
        ..DEFAULTS
    },
    Profile {
        name: "ctap20-strict",
        description: "A CTAP 2.0-era key (2.1-PRE credential-management prototype) that enforces CTAP 2.0: clientPIN without pinProtocol is CTAP2_ERR_OTHER; getInfo has only CTAP 2.0's fields; no WINK",
        versions: &["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"],
        aaguid: "676b7600-0000-4000-8000-000000000131",
        firmware: [4, 1, 5],
        cred_mgmt: CredMgmt::Preview,
        resident_keys: true,
        max_resident: 50,
        pin_protocols: &[1],
        ctap21: false,
        make_cred_uv_not_rqd: false,
        wink: false,
        quirks: Quirks {
            pin_protocol_required: true,
            get_info_ctap20_only: true,
            ..NO_QUIRKS
        },
        ..DEFAULTS
    },
    Profile {
        name: "empty-store-body",
        description: "A CTAP 2.1 key that answers an empty credential store with a bare CTAP2_OK (no body) instead of CTAP2_ERR_NO_CREDENTIALS",
        aaguid: "676b7600-0000-4000-8000-000000000132",
        quirks: Quirks {
            empty_store_body: true,
            ..NO_QUIRKS
        },
        ..DEFAULTS
    },
    Profile {
        name: "mixed-algorithms",
        description: "A CTAP 2.1 key offering ES256, ES384, ES512, EdDSA, RS256, PS256, ML-DSA-44 (-48) and a private-use algorithm (-65537); passkeys keep the algorithm recorded in the state file",
        aaguid: "676b7600-0000-4000-8000-000000000133",
        algorithms: &[-7, -35, -36, -8, -257, -37, -48, -65537],
        ..DEFAULTS
    },
    Profile {
        name: "small-limits",
        description: "A CTAP 2.1 key with tight allow-list limits (2 IDs of at most 80 bytes; more is CTAP2_ERR_LIMIT_EXCEEDED) that prefers PIN protocol 1 over 2",
        aaguid: "676b7600-0000-4000-8000-000000000134",
        pin_protocols: &[1, 2],
        max_credential_count_in_list: 2,
        max_credential_id_length: 80,
        ..DEFAULTS
    },
    Profile {
        name: "always-upneeded",
        description: "A CTAP 2.1 key that sends KEEPALIVE UPNEEDED before every reply, even for requests that need no touch",
        aaguid: "676b7600-0000-4000-8000-000000000135",
        quirks: Quirks {
            always_up_needed: true,
            ..NO_QUIRKS
        },
        ..DEFAULTS
    },
];

/// A plain CTAP 2.1 key without vendor extras; the profiles above change what they imitate.
const DEFAULTS: Profile = Profile {
    name: "",
    description: "",
    versions: &["FIDO_2_0", "FIDO_2_1"],
    aaguid: "",
    firmware: [1, 0, 0],
    yubikey_config: false,
    form_factor: 0,
    cred_mgmt: CredMgmt::Standard,
    resident_keys: true,
    max_resident: 100,
    pin_protocols: &[2, 1],
    ctap21: true,
    per_cred_mgmt_ro: false,
    make_cred_uv_not_rqd: true,
    min_pin_length: 4,
    max_msg_size: 1200,
    vendor_id: 0x1209,
    product_id: 0x0013,
    manufacturer: "Generic (glasskey virtual)",
    product: "FIDO2 Key",
    max_credential_count_in_list: 8,
    max_credential_id_length: 128,
    algorithms: &[-7],
    wink: true,
    quirks: NO_QUIRKS,
};

pub const DEFAULT_PROFILE: &str = "yubikey-5.7";

pub fn find(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name)
}

pub fn names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name).collect()
}
