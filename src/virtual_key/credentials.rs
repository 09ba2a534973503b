//! makeCredential and getAssertion on the virtual key: ES256 only, packed self attestation,
//! non-resident credential IDs that only this key can open (sealed with its master secret
//! and bound to the RP), credProtect, and `up=false` honoured.

use p256::ecdsa::{signature::Signer, DerSignature, SigningKey};
use rand::RngCore;

use super::authenticator::{
    cbor_err, fields, required_bytes, required_uint, Authenticator, CtapResult, PendingAssertions,
};
use super::state::StoredCredential;
use super::test_ca;
use crate::ctap2::auth_data::{FLAG_AT, FLAG_ED, FLAG_UP, FLAG_UV};
use crate::ctap2::cbor::{self, as_i64, bytes, int, text, Fields, Value};
use crate::ctap2::client_pin::permission;
use crate::ctap2::cose::{CoseKey, ALG_ES256};
use crate::ctap2::credential_management::descriptor;
use crate::ctap2::pin_protocol::{cbc_decrypt, cbc_encrypt, hmac_sha256};
use crate::ctap2::StatusCode;

const WRAP_VERSION: u8 = 1;
/// version 1 + nonce 16 + sealed scalar 32 + tag 16.
const WRAPPED_LEN: usize = 65;

/// A credential found for an assertion: resident (index into the store) or unwrapped.
enum Found {
    Resident(usize),
    Wrapped { id: Vec<u8>, key: p256::SecretKey },
}

impl Authenticator {
    fn wrap_keys(&self) -> ([u8; 32], [u8; 32]) {
        (
            hmac_sha256(&self.state.master_secret, b"glasskey-virtual enc"),
            hmac_sha256(&self.state.master_secret, b"glasskey-virtual mac"),
        )
    }

    /// Seals a private key into a credential ID bound to `rp_id_hash`.
    pub(crate) fn wrap(&self, key: &p256::SecretKey, rp_id_hash: &[u8; 32]) -> CtapResult<Vec<u8>> {
        let (enc, mac) = self.wrap_keys();
        let mut nonce = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed =
            cbc_encrypt(&enc, &nonce, key.to_bytes().as_slice()).map_err(|_| StatusCode::OTHER)?;
        let mut id = vec![WRAP_VERSION];
        id.extend_from_slice(&nonce);
        id.extend_from_slice(&sealed);
        let mut tagged = id.clone();
        tagged.extend_from_slice(rp_id_hash);
        id.extend_from_slice(&hmac_sha256(&mac, &tagged)[..16]);
        Ok(id)
    }

    /// Opens a credential ID made by this key for this RP; None for anything else.
    pub(crate) fn unwrap(&self, id: &[u8], rp_id_hash: &[u8; 32]) -> Option<p256::SecretKey> {
        if id.len() != WRAPPED_LEN || id[0] != WRAP_VERSION {
            return None;
        }
        let (enc, mac) = self.wrap_keys();
        let (body, tag) = id.split_at(WRAPPED_LEN - 16);
        let mut tagged = body.to_vec();
        tagged.extend_from_slice(rp_id_hash);
        let expected = hmac_sha256(&mac, &tagged);
        if expected[..16]
            .iter()
            .zip(tag)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0
        {
            return None;
        }
        let scalar = cbc_decrypt(&enc, &body[1..17], &body[17..]).ok()?;
        p256::SecretKey::from_slice(&scalar).ok()
    }

    fn next_sign_count(&mut self) -> CtapResult<u32> {
        self.state.sign_count = self.state.sign_count.wrapping_add(1);
        self.persist()?;
        Ok(self.state.sign_count)
    }

    pub(crate) fn make_credential(&mut self, params: Option<&Value>) -> CtapResult<Option<Value>> {
        let f = fields(params)?;
        let cdh = client_data_hash(&f, 0x01)?;
        let rp = Fields::new(
            f.map(0x02)
                .map_err(cbor_err)?
                .ok_or(StatusCode::MISSING_PARAMETER)?,
            "rp",
        )
        .map_err(cbor_err)?;
        let rp_id = rp
            .text_field("id")
            .map_err(cbor_err)?
            .ok_or(StatusCode::MISSING_PARAMETER)?
            .to_owned();
        let rp_name = rp.text_field("name").map_err(cbor_err)?.map(str::to_owned);
        let user = Fields::new(
            f.map(0x03)
                .map_err(cbor_err)?
                .ok_or(StatusCode::MISSING_PARAMETER)?,
            "user",
        )
        .map_err(cbor_err)?;
        let user_id = user
            .bytes_field("id")
            .map_err(cbor_err)?
            .ok_or(StatusCode::MISSING_PARAMETER)?
            .to_vec();
        if user_id.len() > 64 {
            return Err(StatusCode::INVALID_LENGTH);
        }
        let user_name = user
            .text_field("name")
            .map_err(cbor_err)?
            .map(str::to_owned);
        let user_display_name = user
            .text_field("displayName")
            .map_err(cbor_err)?
            .map(str::to_owned);
        let algs = f
            .array(0x04)
            .map_err(cbor_err)?
            .ok_or(StatusCode::MISSING_PARAMETER)?;
        let es256 = algs.iter().any(|a| {
            Fields::new(a, "alg")
                .ok()
                .and_then(|p| p.get_text_key("alg").and_then(as_i64))
                == Some(ALG_ES256)
        });
        if !es256 {
            return Err(StatusCode::UNSUPPORTED_ALGORITHM);
        }
        let options = options(&f, 0x07)?;
        let rk = options.iter().any(|(k, v)| k == "rk" && *v);
        if options.iter().any(|(k, v)| k == "uv" && *v) {
            return Err(StatusCode::INVALID_OPTION);
        }
        if options.iter().any(|(k, _)| k == "up") {
            return Err(StatusCode::INVALID_OPTION);
        }
        if rk && !self.profile.resident_keys {
            return Err(StatusCode::UNSUPPORTED_OPTION);
        }
        let cred_protect = match f.map(0x06).map_err(cbor_err)? {
            Some(ext) => Fields::new(ext, "extensions")
                .map_err(cbor_err)?
                .get_text_key("credProtect")
                .and_then(as_i64)
                .and_then(|l| u8::try_from(l).ok())
                .filter(|l| (1..=3).contains(l)),
            None => None,
        };
        let user_verified = match f.bytes(0x08).map_err(cbor_err)? {
            Some(param) => {
                let version = required_uint(&f, 0x09)?;
                self.verify_token(
                    version,
                    param,
                    &cdh,
                    permission::MAKE_CREDENTIAL,
                    Some(&rp_id),
                )?;
                true
            }
            None => {
                if self.state.pin_hash.is_some() && (rk || !self.profile.make_cred_uv_not_rqd) {
                    return Err(StatusCode::PUAT_REQUIRED);
                }
                false
            }
        };
        let rp_hash = Self::rp_id_hash(&rp_id);
        if let Some(excluded) = f.array(0x05).map_err(cbor_err)? {
            for d in excluded {
                let Ok(id) = crate::ctap2::credential_management::descriptor_id(d) else {
                    return Err(StatusCode::CBOR_UNEXPECTED_TYPE);
                };
                let mine = self.unwrap(&id, &rp_hash).is_some()
                    || self
                        .resident()
                        .iter()
                        .any(|c| c.rp_id == rp_id && c.credential_id == id);
                if mine {
                    return Err(StatusCode::CREDENTIAL_EXCLUDED);
                }
            }
        }
        let key = p256::SecretKey::random(&mut rand::thread_rng());
        let credential_id = self.wrap(&key, &rp_hash)?;
        if rk {
            self.state
                .credentials
                .retain(|c| !(c.rp_id == rp_id && c.user_id == user_id));
            if self.state.credentials.len() >= self.profile.max_resident as usize {
                return Err(StatusCode::KEY_STORE_FULL);
            }
            let created = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            self.state.credentials.push(StoredCredential {
                rp_id: rp_id.clone(),
                rp_name,
                user_id,
                user_name,
                user_display_name,
                credential_id: credential_id.clone(),
                private_key: key.to_bytes().to_vec(),
                cred_protect: cred_protect.unwrap_or(1),
                created,
                algorithm: ALG_ES256,
            });
        }
        let count = self.next_sign_count()?;
        let mut flags = FLAG_UP | FLAG_AT;
        if user_verified {
            flags |= FLAG_UV;
        }
        if cred_protect.is_some() {
            flags |= FLAG_ED;
        }
        let mut auth_data = header(&rp_hash, flags, count);
        auth_data.extend(crate::util::parse_uuid(self.profile.aaguid).unwrap_or_default());
        auth_data.extend((credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&credential_id);
        auth_data.extend(CoseKey::from_p256(&key.public_key(), ALG_ES256).to_bytes());
        if let Some(level) = cred_protect {
            auth_data.extend(cbor::encode(&Value::Map(vec![(
                text("credProtect"),
                int(level.into()),
            )])));
        }
        let (format, mut statement) = self.attest(&key, &auth_data, &cdh)?;
        if self.faults().tamper_attestation_signature {
            tamper_signature(&mut statement);
        }
        Ok(Some(Value::Map(vec![
            (int(0x01), text(format)),
            (int(0x02), bytes(&auth_data)),
            (int(0x03), statement),
        ])))
    }

    /// The attestation statement for a new credential, by the key's attestation mode. (Every
    /// mode's statement can be corrupted by the `tamper_attestation_signature` fault.)
    fn attest(
        &self,
        credential_key: &p256::SecretKey,
        auth_data: &[u8],
        cdh: &[u8; 32],
    ) -> CtapResult<(&'static str, Value)> {
        use super::state::AttestationMode as Mode;
        let mode = self.state.attestation;
        if mode == Mode::None {
            return Ok(("none", Value::Map(Vec::new())));
        }
        if mode == Mode::SelfSigned {
            let signature = sign(credential_key, auth_data, cdh);
            return Ok((
                "packed",
                Value::Map(vec![
                    (text("alg"), int(ALG_ES256)),
                    (text("sig"), bytes(&signature)),
                ]),
            ));
        }
        let other_algorithm = match mode {
            Mode::TestCaEs384 => Some(test_ca::Algorithm::Es384),
            Mode::TestCaEddsa => Some(test_ca::Algorithm::EdDsa),
            Mode::TestCaRs256 => Some(test_ca::Algorithm::Rs256),
            Mode::TestCaEs512 => Some(test_ca::Algorithm::Es512),
            Mode::TestCaPs256 => Some(test_ca::Algorithm::Ps256),
            _ => None,
        };
        if let Some(algorithm) = other_algorithm {
            let mut message = auth_data.to_vec();
            message.extend_from_slice(cdh);
            let (alg, signature, certificate) =
                test_ca::sign_with(algorithm, &message).ok_or(StatusCode::OTHER)?;
            return Ok((
                "packed",
                Value::Map(vec![
                    (text("alg"), int(alg)),
                    (text("sig"), bytes(&signature)),
                    (text("x5c"), Value::Array(vec![bytes(&certificate)])),
                ]),
            ));
        }
        let pem = match mode {
            Mode::TestCaWrongAaguid => test_ca::WRONG_AAGUID,
            Mode::TestCaUntrusted => test_ca::UNTRUSTED,
            _ => test_ca::for_profile(self.profile.name).ok_or(StatusCode::OTHER)?,
        };
        let certificate =
            crate::attestation::x509::Cert::from_pem(pem).map_err(|_| StatusCode::OTHER)?;
        let key = hex::decode(test_ca::KEY.trim())
            .ok()
            .and_then(|k| p256::SecretKey::from_slice(&k).ok())
            .ok_or(StatusCode::OTHER)?;
        let mut signature = sign(&key, auth_data, cdh);
        if mode == Mode::TestCaBadSignature {
            if let Some(last) = signature.last_mut() {
                *last ^= 0x01;
            }
        }
        Ok((
            "packed",
            Value::Map(vec![
                (text("alg"), int(ALG_ES256)),
                (text("sig"), bytes(&signature)),
                (text("x5c"), Value::Array(vec![bytes(&certificate.der)])),
            ]),
        ))
    }

    fn find_allowed(
        &self,
        allow: &[Value],
        rp_id: &str,
        rp_hash: &[u8; 32],
        uv: bool,
    ) -> CtapResult<Option<Found>> {
        for d in allow {
            let id = crate::ctap2::credential_management::descriptor_id(d)
                .map_err(|_| StatusCode::CBOR_UNEXPECTED_TYPE)?;
            if let Some(i) = self
                .resident()
                .iter()
                .position(|c| c.rp_id == rp_id && c.credential_id == id)
            {
                if self.resident()[i].cred_protect < 3 || uv {
                    return Ok(Some(Found::Resident(i)));
                }
                continue;
            }
            if let Some(key) = self.unwrap(&id, rp_hash) {
                return Ok(Some(Found::Wrapped { id, key }));
            }
        }
        Ok(None)
    }

    /// Refuses allow lists beyond the limits getInfo states, as strict firmware does.
    fn check_allow_list_limits(&self, allow: &[Value]) -> CtapResult<()> {
        let p = self.profile;
        let too_long = allow.iter().any(|d| {
            crate::ctap2::credential_management::descriptor_id(d)
                .is_ok_and(|id| id.len() > p.max_credential_id_length as usize)
        });
        if allow.len() > p.max_credential_count_in_list as usize || too_long {
            return Err(StatusCode::LIMIT_EXCEEDED);
        }
        Ok(())
    }

    /// Returns the reply and whether it waits for a touch.
    pub(crate) fn get_assertion(
        &mut self,
        params: Option<&Value>,
    ) -> CtapResult<(Option<Value>, bool)> {
        let f = fields(params)?;
        let rp_id = f
            .text(0x01)
            .map_err(cbor_err)?
            .ok_or(StatusCode::MISSING_PARAMETER)?
            .to_owned();
        let cdh = client_data_hash(&f, 0x02)?;
        let options = options(&f, 0x05)?;
        let up = !options.iter().any(|(k, v)| k == "up" && !*v);
        if options.iter().any(|(k, v)| k == "uv" && *v) {
            return Err(StatusCode::INVALID_OPTION);
        }
        let uv = match f.bytes(0x06).map_err(cbor_err)? {
            Some(param) => {
                let version = required_uint(&f, 0x07)?;
                self.verify_token(
                    version,
                    param,
                    &cdh,
                    permission::GET_ASSERTION,
                    Some(&rp_id),
                )?;
                true
            }
            None => false,
        };
        let rp_hash = Self::rp_id_hash(&rp_id);
        let (first, rest) = match f.array(0x03).map_err(cbor_err)? {
            Some(allow) if !allow.is_empty() => {
                self.check_allow_list_limits(allow)?;
                (self.find_allowed(allow, &rp_id, &rp_hash, uv)?, Vec::new())
            }
            _ => {
                let mut matching: Vec<usize> = (0..self.resident().len())
                    .filter(|&i| {
                        self.resident()[i].rp_id == rp_id
                            && (self.resident()[i].cred_protect == 1 || uv)
                    })
                    .collect();
                // Most recent first, as CTAP 2.1 §6.2.2 asks.
                matching.sort_by_key(|&i| std::cmp::Reverse(self.resident()[i].created));
                let first = matching.first().map(|&i| Found::Resident(i));
                (first, matching.into_iter().skip(1).collect())
            }
        };
        let found = first.ok_or(StatusCode::NO_CREDENTIALS)?;
        let total = 1 + rest.len();
        let reply =
            self.assertion_reply(&found, &rp_hash, &cdh, up, uv, (total > 1).then_some(total))?;
        if !rest.is_empty() {
            self.pending_assertions = Some(PendingAssertions {
                rp_id,
                client_data_hash: cdh,
                remaining: rest,
                user_present: up,
                user_verified: uv,
            });
        }
        Ok((Some(reply), up))
    }

    pub(crate) fn get_next_assertion(&mut self) -> CtapResult<Option<Value>> {
        let mut pending = self
            .pending_assertions
            .take()
            .ok_or(StatusCode::NOT_ALLOWED)?;
        if pending.remaining.is_empty() {
            return Err(StatusCode::NOT_ALLOWED);
        }
        let index = pending.remaining.remove(0);
        let rp_hash = Self::rp_id_hash(&pending.rp_id);
        let reply = self.assertion_reply(
            &Found::Resident(index),
            &rp_hash,
            &pending.client_data_hash,
            pending.user_present,
            pending.user_verified,
            None,
        )?;
        if !pending.remaining.is_empty() {
            self.pending_assertions = Some(pending);
        }
        Ok(Some(reply))
    }

    fn assertion_reply(
        &mut self,
        found: &Found,
        rp_hash: &[u8; 32],
        cdh: &[u8; 32],
        up: bool,
        uv: bool,
        total: Option<usize>,
    ) -> CtapResult<Value> {
        let (id, key, user) = match found {
            Found::Resident(i) => {
                let c = self.resident().get(*i).ok_or(StatusCode::OTHER)?.clone();
                let key =
                    p256::SecretKey::from_slice(&c.private_key).map_err(|_| StatusCode::OTHER)?;
                let mut user = vec![(text("id"), bytes(&c.user_id))];
                // Identifying user information only after user verification (CTAP 2.1 §6.2.2).
                if uv {
                    if let Some(n) = &c.user_name {
                        user.push((text("name"), text(n)));
                    }
                    if let Some(d) = &c.user_display_name {
                        user.push((text("displayName"), text(d)));
                    }
                }
                (c.credential_id, key, Some(Value::Map(user)))
            }
            Found::Wrapped { id, key } => (id.clone(), key.clone(), None),
        };
        let count = self.next_sign_count()?;
        let flags = if up { FLAG_UP } else { 0 } | if uv { FLAG_UV } else { 0 };
        let auth_data = header(rp_hash, flags, count);
        let signature = sign(&key, &auth_data, cdh);
        let mut reply = vec![
            (int(0x01), descriptor(&id)),
            (int(0x02), bytes(&auth_data)),
            (int(0x03), bytes(&signature)),
        ];
        if let Some(u) = user {
            reply.push((int(0x04), u));
        }
        if let Some(n) = total {
            reply.push((int(0x05), int(n as i64)));
        }
        Ok(Value::Map(reply))
    }
}

fn client_data_hash(f: &Fields<'_>, key: i64) -> CtapResult<[u8; 32]> {
    let b = required_bytes(f, key)?;
    b.try_into().map_err(|_| StatusCode::INVALID_LENGTH)
}

fn options(f: &Fields<'_>, key: i64) -> CtapResult<Vec<(String, bool)>> {
    let Some(map) = f.map(key).map_err(cbor_err)? else {
        return Ok(Vec::new());
    };
    let o = Fields::new(map, "options").map_err(cbor_err)?;
    o.entries()
        .iter()
        .map(|(k, v)| match (k.as_text(), v.as_bool()) {
            (Some(k), Some(v)) => Ok((k.to_owned(), v)),
            _ => Err(StatusCode::CBOR_UNEXPECTED_TYPE),
        })
        .collect()
}

fn header(rp_hash: &[u8; 32], flags: u8, count: u32) -> Vec<u8> {
    let mut a = rp_hash.to_vec();
    a.push(flags);
    a.extend(count.to_be_bytes());
    a
}

fn sign(key: &p256::SecretKey, auth_data: &[u8], cdh: &[u8; 32]) -> Vec<u8> {
    let mut message = auth_data.to_vec();
    message.extend_from_slice(cdh);
    let signature: DerSignature = SigningKey::from(key).sign(&message);
    signature.as_bytes().to_vec()
}

/// Flips a bit of an attestation statement's `sig`: a key whose signature does not verify.
fn tamper_signature(statement: &mut Value) {
    if let Value::Map(fields) = statement {
        for (name, value) in fields.iter_mut() {
            if let (Value::Text(n), Value::Bytes(sig)) = (name, value) {
                if n == "sig" {
                    if let Some(last) = sig.last_mut() {
                        *last ^= 0x01;
                    }
                }
            }
        }
    }
}
