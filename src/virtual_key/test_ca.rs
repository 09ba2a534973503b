//! glasskey's TEST attestation CA (data/test-ca): never a vendor's, trusted only on request.

pub const KEY: &str = include_str!("../../data/test-ca/attestation-key.hex");
pub const WRONG_AAGUID: &str = include_str!("../../data/test-ca/attestation-wrong-aaguid.pem");
pub const UNTRUSTED: &str = include_str!("../../data/test-ca/attestation-untrusted.pem");

pub fn for_profile(profile: &str) -> Option<&'static str> {
    Some(match profile {
        "yubikey-5.7" => include_str!("../../data/test-ca/attestation-yubikey-5.7.pem"),
        "yubikey-5.4" => include_str!("../../data/test-ca/attestation-yubikey-5.4.pem"),
        "ctap21-pre" => include_str!("../../data/test-ca/attestation-ctap21-pre.pem"),
        "ctap22" => include_str!("../../data/test-ca/attestation-ctap22.pem"),
        "no-rk" => include_str!("../../data/test-ca/attestation-no-rk.pem"),
        _ => return None,
    })
}
