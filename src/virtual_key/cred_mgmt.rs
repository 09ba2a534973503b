//! Read-only credential management on the virtual key (metadata and enumeration). Deletion
//! and user updates are answered INVALID_SUBCOMMAND: glasskey never changes credentials, and
//! tests that need a credential gone edit the key's state file instead.

use sha2::{Digest, Sha256};

use super::authenticator::{cbor_err, fields, required_uint, Authenticator, CtapResult};
use crate::ctap2::cbor::{bytes, encode, int, text, Fields, Value};
use crate::ctap2::client_pin::permission;
use crate::ctap2::credential_management::{descriptor, sub};
use crate::ctap2::StatusCode;

impl Authenticator {
    pub(crate) fn credential_management(
        &mut self,
        params: Option<&Value>,
    ) -> CtapResult<Option<Value>> {
        let f = fields(params)?;
        let sub_command = required_uint(&f, 0x01)?;
        let sub_command = u8::try_from(sub_command).map_err(|_| StatusCode::INVALID_SUBCOMMAND)?;
        let sub_params = f.map(0x02).map_err(cbor_err)?;
        if matches!(
            sub_command,
            sub::GET_CREDS_METADATA | sub::ENUMERATE_RPS_BEGIN | sub::ENUMERATE_CREDENTIALS_BEGIN
        ) {
            let version = required_uint(&f, 0x03)?;
            let param = f
                .bytes(0x04)
                .map_err(cbor_err)?
                .ok_or(StatusCode::PUAT_REQUIRED)?;
            let mut message = vec![sub_command];
            if let Some(p) = sub_params {
                message.extend(encode(p));
            }
            let needed = if self.profile.per_cred_mgmt_ro {
                permission::CREDENTIAL_MANAGEMENT | permission::PER_CRED_MGMT_READ_ONLY
            } else {
                permission::CREDENTIAL_MANAGEMENT
            };
            self.verify_token(version, param, &message, needed, None)?;
        }
        let claim = self.faults().claim_total;
        match sub_command {
            sub::GET_CREDS_METADATA => {
                let stored = self.resident().len() as u64;
                let remaining = u64::from(self.profile.max_resident).saturating_sub(stored);
                let existing = claim.unwrap_or(stored);
                Ok(Some(Value::Map(vec![
                    (int(0x01), Value::Integer(existing.into())),
                    (int(0x02), Value::Integer(remaining.into())),
                ])))
            }
            sub::ENUMERATE_RPS_BEGIN => {
                let mut rps: Vec<String> = Vec::new();
                for c in self.resident() {
                    if !rps.contains(&c.rp_id) {
                        rps.push(c.rp_id.clone());
                    }
                }
                if rps.is_empty() && self.profile.quirks.empty_store_body {
                    return Ok(None);
                }
                if rps.is_empty() {
                    return Err(StatusCode::NO_CREDENTIALS);
                }
                let total = claim.unwrap_or(rps.len() as u64);
                let first = rps.remove(0);
                self.rp_enumeration = rps;
                let mut reply = rp_entry(&first);
                reply.push((int(0x05), Value::Integer(total.into())));
                Ok(Some(Value::Map(reply)))
            }
            sub::ENUMERATE_RPS_NEXT => {
                if self.rp_enumeration.is_empty() {
                    return Err(StatusCode::NOT_ALLOWED);
                }
                let next = self.rp_enumeration.remove(0);
                Ok(Some(Value::Map(rp_entry(&next))))
            }
            sub::ENUMERATE_CREDENTIALS_BEGIN => {
                let p = Fields::new(
                    sub_params.ok_or(StatusCode::MISSING_PARAMETER)?,
                    "subCommandParams",
                )
                .map_err(cbor_err)?;
                let hash = p
                    .bytes(0x01)
                    .map_err(cbor_err)?
                    .ok_or(StatusCode::MISSING_PARAMETER)?;
                let mut matching: Vec<usize> = (0..self.resident().len())
                    .filter(|&i| {
                        Sha256::digest(self.resident()[i].rp_id.as_bytes()).as_slice() == hash
                    })
                    .collect();
                if matching.is_empty() && self.profile.quirks.empty_store_body {
                    return Ok(None);
                }
                if matching.is_empty() {
                    return Err(StatusCode::NO_CREDENTIALS);
                }
                let total = claim.unwrap_or(matching.len() as u64);
                let first = matching.remove(0);
                self.credential_enumeration = matching;
                let mut reply = self.credential_entry(first)?;
                reply.push((int(0x09), Value::Integer(total.into())));
                reply.sort_by_key(|(k, _)| crate::ctap2::cbor::as_i64(k));
                Ok(Some(Value::Map(reply)))
            }
            sub::ENUMERATE_CREDENTIALS_NEXT => {
                if self.credential_enumeration.is_empty() {
                    return Err(StatusCode::NOT_ALLOWED);
                }
                let next = self.credential_enumeration.remove(0);
                Ok(Some(Value::Map(self.credential_entry(next)?)))
            }
            _ => Err(StatusCode::INVALID_SUBCOMMAND),
        }
    }

    fn credential_entry(&self, index: usize) -> CtapResult<Vec<(Value, Value)>> {
        let c = self.resident().get(index).ok_or(StatusCode::OTHER)?;
        let public_key = super::algorithms::reported_public_key(c.algorithm, &c.private_key)?;
        let mut user = vec![(text("id"), bytes(&c.user_id))];
        if let Some(n) = &c.user_name {
            user.push((text("name"), text(n)));
        }
        if let Some(d) = &c.user_display_name {
            user.push((text("displayName"), text(d)));
        }
        Ok(vec![
            (int(0x06), Value::Map(user)),
            (int(0x07), descriptor(&c.credential_id)),
            (int(0x08), public_key.to_value()),
            (int(0x0A), int(c.cred_protect.into())),
        ])
    }
}

fn rp_entry(rp_id: &str) -> Vec<(Value, Value)> {
    vec![
        (int(0x03), Value::Map(vec![(text("id"), text(rp_id))])),
        (int(0x04), bytes(&Sha256::digest(rp_id.as_bytes()))),
    ]
}
