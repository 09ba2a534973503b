//! The public keys the virtual key reports for passkeys of algorithms other than ES256
//! (profile `mixed-algorithms`). Each is a real key of its kind, derived from the passkey's
//! stored secret so that it stays the same between runs; the virtual key never signs with
//! them (it is a test device for enumeration, and signs with P-256 whatever they say).

use sha2::{Digest, Sha256, Sha384, Sha512};

use super::authenticator::CtapResult;
use crate::ctap2::cose::{
    CoseKey, ALG_EDDSA, ALG_ES256, ALG_ES384, ALG_ES512, ALG_PS256, ALG_RS256,
};
use crate::ctap2::StatusCode;

/// One fixed 2048-bit RSA modulus (public only): generating RSA keys per passkey is slow.
const RSA_MODULUS: &str = "\
B56E04BB4A23E9633E5100B8EBD422B0AFFEA681B7854C1622B861741AF560B2\
4EB7E6306D8266A251A006B0CED00FC38C47DA25D623D3F8DBBBAE085B4BE146\
EEEF07678F9186FB9EA3353F28ACA339A4DB93EBE7CF091B8FC80BF6C84E9A43\
E830411E79302AC3F1CF571DE183B594B29DB05F2055DFD2CC75806AA1D2D880\
FF3D644CF6A46F68FA892A83C74EA1C1DA60F6D1A66BFF43A560BBA332E9C1D1\
9C9120D05DB01F6D695A2E281E390005A7AA4E522C8D2776DE206A5B8D51A063\
481D16A10F2ED1BC6E8972EBF0A9548BE954ECEC69E8C25356EA7F94538AD067\
77BDD7ECF36728E9444F461C7AFCC02C00E8ABC748F02320757102C0D81BA429";

/// COSE key type AKP ("algorithm key pair"), used by ML-DSA; glasskey does not parse it.
const KTY_AKP: i64 = 7;
/// An ML-DSA-44 public key is 1312 bytes.
const ML_DSA_44_PUBLIC_LEN: usize = 1312;

/// The COSE public key reported for a passkey of `alg` whose stored secret is `secret`.
pub(crate) fn reported_public_key(alg: i64, secret: &[u8]) -> CtapResult<CoseKey> {
    let bad = |_| StatusCode::OTHER;
    match alg {
        ALG_ES256 => {
            let key = p256::SecretKey::from_slice(secret).map_err(bad)?;
            Ok(CoseKey::from_p256(&key.public_key(), ALG_ES256))
        }
        ALG_ES384 => {
            use p384::elliptic_curve::sec1::ToEncodedPoint;
            let key = p384::SecretKey::from_slice(&Sha384::digest(secret)).map_err(bad)?;
            ec2_key(
                ALG_ES384,
                2,
                key.public_key().to_encoded_point(false).as_bytes(),
            )
        }
        ALG_ES512 => {
            use p521::elliptic_curve::sec1::ToEncodedPoint;
            let key = p521::SecretKey::from_slice(&Sha512::digest(secret)).map_err(bad)?;
            ec2_key(
                ALG_ES512,
                3,
                key.public_key().to_encoded_point(false).as_bytes(),
            )
        }
        ALG_EDDSA => {
            let seed: [u8; 32] = Sha256::digest(secret).into();
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            Ok(CoseKey::Ed25519 {
                alg: ALG_EDDSA,
                x: key.verifying_key().to_bytes(),
            })
        }
        ALG_RS256 | ALG_PS256 => Ok(CoseKey::Rsa {
            alg,
            n: hex::decode(RSA_MODULUS).map_err(|_| StatusCode::OTHER)?,
            e: vec![0x01, 0x00, 0x01],
        }),
        other => {
            // Any other algorithm: an AKP key (as ML-DSA uses) of pseudo-random bytes.
            let mut public = Vec::with_capacity(ML_DSA_44_PUBLIC_LEN);
            let mut counter = 0u32;
            while public.len() < ML_DSA_44_PUBLIC_LEN {
                let mut h = Sha256::new();
                h.update(secret);
                h.update(counter.to_be_bytes());
                public.extend_from_slice(&h.finalize());
                counter += 1;
            }
            public.truncate(ML_DSA_44_PUBLIC_LEN);
            use crate::ctap2::cbor::{bytes, encode, int, Value};
            let value = Value::Map(vec![
                (int(1), int(KTY_AKP)),
                (int(3), int(other)),
                (int(-1), bytes(&public)),
            ]);
            Ok(CoseKey::Unknown {
                kty: KTY_AKP,
                alg: Some(other),
                encoded: encode(&value),
            })
        }
    }
}

/// An EC2 COSE key from an uncompressed SEC1 point (0x04 || x || y).
fn ec2_key(alg: i64, crv: i64, point: &[u8]) -> CtapResult<CoseKey> {
    use crate::ctap2::cbor::{bytes, int, Value};
    let (x, y) = point
        .get(1..)
        .map(|xy| xy.split_at(xy.len() / 2))
        .ok_or(StatusCode::OTHER)?;
    CoseKey::parse(&Value::Map(vec![
        (int(1), int(2)),
        (int(3), int(alg)),
        (int(-1), int(crv)),
        (int(-2), bytes(x)),
        (int(-3), bytes(y)),
    ]))
    .map_err(|_| StatusCode::OTHER)
}
