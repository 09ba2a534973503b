//! Reading credential management through the session: metadata and enumeration, with the 0x41
//! prototype on CTAP 2.1-PRE keys. Read-only: nothing here deletes or edits a credential.

use super::listing::ListingBudget;
use super::{CredsMetadata, PinToken, ResidentCredential, Session, MAX_ENUMERATION};
use crate::ctap2::cbor::Value;
use crate::ctap2::credential_management::{
    sub as cm, CredMgmtResponse, CredentialManagement, RelyingParty,
};
use crate::ctap2::get_info::CredMgmtFlavor;
use crate::ctap2::{Ctap2Error, StatusCode};
use crate::transport::Transport;

impl<T: Transport> Session<T> {
    fn cred_mgmt(
        &mut self,
        token: &PinToken,
        sub_command: u8,
        params: Option<Value>,
    ) -> Result<CredMgmtResponse, Ctap2Error> {
        let flavor = self
            .info()?
            .cred_mgmt()
            .ok_or(Ctap2Error::Unsupported("credential management"))?;
        let auth = token.authenticate(&CredentialManagement::auth_message(
            sub_command,
            params.as_ref(),
        ));
        self.listing_call(&CredentialManagement {
            preview: flavor == CredMgmtFlavor::Preview,
            sub_command,
            params,
            protocol: Some(token.protocol_version()),
            pin_uv_auth_param: Some(auth),
        })
    }

    /// One request of the listing in progress: it waits no longer than the listing's own
    /// deadline, and a wait cut short by that deadline says so.
    fn listing_call(
        &mut self,
        request: &CredentialManagement,
    ) -> Result<CredMgmtResponse, Ctap2Error> {
        let Some(listing) = &self.listing else {
            return self.call(request);
        };
        let deadline = listing.deadline()?.min(self.deadline());
        let result = self.send_until(request, deadline);
        match (&result, &self.listing) {
            (Err(Ctap2Error::Hid(_)), Some(listing)) if listing.has_timed_out() => {
                Err(listing.timed_out())
            }
            _ => result,
        }
    }

    fn listing(&mut self) -> Result<&mut ListingBudget, Ctap2Error> {
        self.listing
            .as_mut()
            .ok_or_else(|| Ctap2Error::Protocol("no passkey listing in progress".into()))
    }

    fn cred_mgmt_next(&mut self, sub_command: u8) -> Result<CredMgmtResponse, Ctap2Error> {
        let flavor = self
            .info()?
            .cred_mgmt()
            .ok_or(Ctap2Error::Unsupported("credential management"))?;
        // The "next" subcommands carry no parameters and no auth (CTAP 2.1 §6.8.3, §6.8.4).
        self.listing_call(&CredentialManagement {
            preview: flavor == CredMgmtFlavor::Preview,
            sub_command,
            params: None,
            protocol: None,
            pin_uv_auth_param: None,
        })
    }

    /// The key's counts, which start a listing: what follows may ask for no more than they
    /// declare, and must end within the timeout (`listing.rs`).
    pub fn creds_metadata(&mut self, token: &PinToken) -> Result<CredsMetadata, Ctap2Error> {
        // Nothing may be listed until the key has counted its passkeys.
        self.listing = Some(ListingBudget::new(self.timeout));
        let reply = self.cred_mgmt(token, cm::GET_CREDS_METADATA, None)?;
        let metadata = CredsMetadata {
            existing: reply.existing_resident_credentials.ok_or_else(|| {
                Ctap2Error::Protocol("metadata lacks existingResidentCredentialsCount".into())
            })?,
            remaining: reply.remaining_resident_credentials.ok_or_else(|| {
                Ctap2Error::Protocol(
                    "metadata lacks maxPossibleRemainingResidentCredentialsCount".into(),
                )
            })?,
        };
        // Counts no key can hold are a hostile or broken reply, not data to show.
        check_total(metadata.existing, "discoverable credentials")?;
        check_total(metadata.remaining, "free credential slots")?;
        self.listing()?.declare(metadata.existing);
        Ok(metadata)
    }

    /// The metadata, and every RP with discoverable credentials. An empty store is never
    /// enumerated: keys disagree on how to answer that (see `enumerate_rps`).
    pub fn relying_parties(
        &mut self,
        token: &PinToken,
    ) -> Result<(CredsMetadata, Vec<RelyingParty>), Ctap2Error> {
        let metadata = self.creds_metadata(token)?;
        if metadata.existing == 0 {
            return Ok((metadata, Vec::new()));
        }
        Ok((metadata, self.enumerate_rps(token)?))
    }

    /// Every RP with discoverable credentials. NO_CREDENTIALS, and a success without a body
    /// (some firmware's answer for an empty store), are an empty list.
    fn enumerate_rps(&mut self, token: &PinToken) -> Result<Vec<RelyingParty>, Ctap2Error> {
        let first = match self.cred_mgmt(token, cm::ENUMERATE_RPS_BEGIN, None) {
            Err(Ctap2Error::Status(StatusCode::NO_CREDENTIALS)) => return Ok(Vec::new()),
            other => other?,
        };
        if first.total_rps.is_none() && first.rp.is_none() {
            return Ok(Vec::new());
        }
        let total = first
            .total_rps
            .ok_or_else(|| Ctap2Error::Protocol("enumerateRPsBegin lacks totalRPs".into()))?;
        // Trussed-based keys (Nitrokey 3, Solo 2) answer an empty store with totalRPs = 0
        // instead of NO_CREDENTIALS (CTAP 2.1 §6.8.3); both mean "none".
        if total == 0 {
            return Ok(Vec::new());
        }
        check_total(total, "relying parties")?;
        self.listing()?.relying_parties(total)?;
        let mut rps = vec![self.rp_of(&first)?];
        for _ in 1..total {
            let next = self.cred_mgmt_next(cm::ENUMERATE_RPS_NEXT)?;
            rps.push(self.rp_of(&next)?);
        }
        Ok(rps)
    }

    fn rp_of(&mut self, reply: &CredMgmtResponse) -> Result<RelyingParty, Ctap2Error> {
        let rp = rp_of(reply)?;
        self.listing()?.relying_party(&rp.id, &rp.id_hash)?;
        Ok(rp)
    }

    /// Every discoverable credential of one RP, within the listing `relying_parties` started
    /// (a fresh metadata read starts one when none is in progress).
    pub fn enumerate_credentials(
        &mut self,
        token: &PinToken,
        rp: &RelyingParty,
    ) -> Result<Vec<ResidentCredential>, Ctap2Error> {
        if self.listing.is_none() {
            self.creds_metadata(token)?;
        }
        let params = CredentialManagement::rp_params(&rp.id_hash);
        let first = match self.cred_mgmt(token, cm::ENUMERATE_CREDENTIALS_BEGIN, Some(params)) {
            Err(Ctap2Error::Status(StatusCode::NO_CREDENTIALS)) => return Ok(Vec::new()),
            other => other?,
        };
        if first.total_credentials.is_none() && first.credential_id.is_none() {
            return Ok(Vec::new());
        }
        let total = first.total_credentials.ok_or_else(|| {
            Ctap2Error::Protocol("enumerateCredentialsBegin lacks totalCredentials".into())
        })?;
        if total == 0 {
            return Ok(Vec::new());
        }
        check_total(total, "credentials")?;
        self.listing()?.credentials(&rp.id, total)?;
        let mut creds = vec![self.credential_of(rp, first)?];
        for _ in 1..total {
            let next = self.cred_mgmt_next(cm::ENUMERATE_CREDENTIALS_NEXT)?;
            creds.push(self.credential_of(rp, next)?);
        }
        Ok(creds)
    }

    fn credential_of(
        &mut self,
        rp: &RelyingParty,
        reply: CredMgmtResponse,
    ) -> Result<ResidentCredential, Ctap2Error> {
        let credential = credential_of(rp, reply)?;
        self.listing()?
            .credential_id(&rp.id, &credential.credential_id)?;
        Ok(credential)
    }

    /// All discoverable credentials, grouped by RP in the key's order.
    pub fn resident_credentials(
        &mut self,
        token: &PinToken,
    ) -> Result<Vec<ResidentCredential>, Ctap2Error> {
        let mut all = Vec::new();
        for rp in self.relying_parties(token)?.1 {
            all.extend(self.enumerate_credentials(token, &rp)?);
        }
        Ok(all)
    }
}

fn check_total(total: u64, what: &str) -> Result<(), Ctap2Error> {
    if total > MAX_ENUMERATION {
        return Err(Ctap2Error::Protocol(format!(
            "the key claims {total} {what}, which is out of range: no key holds more than {MAX_ENUMERATION}"
        )));
    }
    Ok(())
}

fn rp_of(reply: &CredMgmtResponse) -> Result<RelyingParty, Ctap2Error> {
    let (id, name) = reply
        .rp
        .clone()
        .ok_or_else(|| Ctap2Error::Protocol("RP enumeration reply lacks rp".into()))?;
    let id_hash = reply
        .rp_id_hash
        .ok_or_else(|| Ctap2Error::Protocol("RP enumeration reply lacks rpIDHash".into()))?;
    check_rp_id_hash(&id, &id_hash)?;
    Ok(RelyingParty { id, name, id_hash })
}

/// CTAP 2.1 §6.8.3: rpIDHash is SHA-256 of the RP ID. A key naming one site with another's
/// hash would file that site's passkeys under the name (evil.com's under login.microsoft.com),
/// so nothing it lists can be trusted: a protocol error, not a finding. The one exception is
/// an RP ID the key stored truncated (CTAP 2.1 RP ID truncation marks the cut with "…"), whose
/// hash is of the full ID and cannot be checked.
fn check_rp_id_hash(id: &str, id_hash: &[u8; 32]) -> Result<(), Ctap2Error> {
    use sha2::{Digest, Sha256};
    if Sha256::digest(id.as_bytes()).as_slice() == id_hash || id.contains('\u{2026}') {
        return Ok(());
    }
    Err(Ctap2Error::Protocol(format!(
        "the key lists RP {} with an rpIDHash ({}…) that is not SHA-256 of that RP ID: it files another site's passkeys under that name; nothing it lists can be trusted",
        crate::untrusted::Shown(id),
        hex::encode(&id_hash[..8])
    )))
}

fn credential_of(
    rp: &RelyingParty,
    reply: CredMgmtResponse,
) -> Result<ResidentCredential, Ctap2Error> {
    Ok(ResidentCredential {
        rp: rp.clone(),
        user: reply
            .user
            .ok_or_else(|| Ctap2Error::Protocol("credential reply lacks user".into()))?,
        credential_id: reply
            .credential_id
            .ok_or_else(|| Ctap2Error::Protocol("credential reply lacks credentialID".into()))?,
        public_key: reply.public_key,
        cred_protect: reply.cred_protect,
        large_blob_key_present: reply.large_blob_key.is_some(),
    })
}
