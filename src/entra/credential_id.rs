//! Entra's spelling of a WebAuthn credential ID. A `fido2AuthenticationMethod`'s `id` is the
//! credential ID in base64url without padding, followed by one digit (0, 1 or 2) that counts the
//! `=` characters dropped: `-2_GRUg2-HYz6_1YG4YRAQ2` is 22 base64url characters plus "2", i.e.
//! 16 bytes. Decoding is exact: anything else is rejected, never guessed at.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// WebAuthn caps credential IDs at 1023 bytes.
pub const MAX_CREDENTIAL_ID_BYTES: usize = 1023;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialIdError {
    #[error("it is empty")]
    Empty,
    #[error("its last character {0:?} is not a padding count (0, 1 or 2)")]
    NoPaddingDigit(char),
    #[error("{0:?} is not a base64url character")]
    NotBase64Url(char),
    #[error("{chars} base64url characters cannot carry {padding} padding character(s)")]
    PaddingMismatch { chars: usize, padding: u32 },
    #[error("its last base64url character has bits set that no byte uses")]
    NonCanonical,
    #[error("it decodes to {0} bytes, more than WebAuthn's 1023")]
    TooLong(usize),
}

/// The credential ID bytes named by an Entra method id.
pub fn decode(id: &str) -> Result<Vec<u8>, CredentialIdError> {
    let last = id.chars().next_back().ok_or(CredentialIdError::Empty)?;
    let padding = match last {
        '0' => 0,
        '1' => 1,
        '2' => 2,
        other => return Err(CredentialIdError::NoPaddingDigit(other)),
    };
    let body = &id[..id.len() - 1];
    if body.is_empty() {
        return Err(CredentialIdError::Empty);
    }
    if let Some(c) = body
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(CredentialIdError::NotBase64Url(c));
    }
    // Unpadded base64 leaves 0, 2 or 3 characters in the last quantum: 0, 2 or 1 `=` dropped.
    let expected = match body.len() % 4 {
        0 => 0,
        2 => 2,
        3 => 1,
        _ => u32::MAX,
    };
    if expected != padding {
        return Err(CredentialIdError::PaddingMismatch {
            chars: body.len(),
            padding,
        });
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| CredentialIdError::NonCanonical)?;
    if bytes.len() > MAX_CREDENTIAL_ID_BYTES {
        return Err(CredentialIdError::TooLong(bytes.len()));
    }
    Ok(bytes)
}

/// The id Entra gives the passkey with this credential ID.
pub fn encode(credential_id: &[u8]) -> String {
    let body = URL_SAFE_NO_PAD.encode(credential_id);
    let padding = (4 - body.len() % 4) % 4;
    format!("{body}{padding}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsofts_documented_ids_decode_to_16_bytes() {
        // Both ids from Graph's fido2Methods list example.
        let a = decode("-2_GRUg2-HYz6_1YG4YRAQ2").unwrap();
        assert_eq!(hex::encode(&a), "fb6fc6454836f87633ebfd581b861101");
        assert_eq!(decode("_jpuR-TGZgk6aQCLF3BQjA2").unwrap().len(), 16);
    }

    #[test]
    fn each_padding_digit_round_trips() {
        // 15, 16 and 17 bytes need 0, 2 and 1 padding characters.
        for (len, digit) in [(15usize, '0'), (16, '2'), (17, '1'), (64, '2'), (32, '1')] {
            let bytes: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            let id = encode(&bytes);
            assert!(id.ends_with(digit), "{len} bytes: {id}");
            assert_eq!(decode(&id).unwrap(), bytes);
        }
    }

    #[test]
    fn malformed_ids_are_rejected_with_the_reason() {
        assert_eq!(decode(""), Err(CredentialIdError::Empty));
        assert_eq!(decode("2"), Err(CredentialIdError::Empty));
        // A GUID-shaped id (as other method types use) has no padding digit.
        assert_eq!(
            decode("28c10230-6103-485e-b985-444c60001490x"),
            Err(CredentialIdError::NoPaddingDigit('x'))
        );
        assert_eq!(decode("AAAA3"), Err(CredentialIdError::NoPaddingDigit('3')));
        assert_eq!(
            decode("-2_GRUg2-HYz6_1YG4YRAQ0"),
            Err(CredentialIdError::PaddingMismatch {
                chars: 22,
                padding: 0
            })
        );
        assert_eq!(
            decode("-2_GRUg2-HYz6_1YG4YRAQ1"),
            Err(CredentialIdError::PaddingMismatch {
                chars: 22,
                padding: 1
            })
        );
        assert_eq!(
            decode("AAAAA0"),
            Err(CredentialIdError::PaddingMismatch {
                chars: 5,
                padding: 0
            })
        );
        assert_eq!(
            decode("-2_GRUg2+HYz6/1YG4YRAQ2"),
            Err(CredentialIdError::NotBase64Url('+'))
        );
        assert_eq!(decode("AB==2"), Err(CredentialIdError::NotBase64Url('=')));
        // "AB" sets bits that "AA" + padding would leave zero: not the encoding of any byte.
        assert_eq!(decode("AB2"), Err(CredentialIdError::NonCanonical));
        assert_eq!(decode("AA2").unwrap(), vec![0]);
        let too_long = encode(&[7u8; 1024]);
        assert_eq!(decode(&too_long), Err(CredentialIdError::TooLong(1024)));
    }
}
