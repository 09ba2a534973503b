//! What one listing of a key's passkeys may ask for (HOSTILE-8 F5). The key's own metadata
//! count bounds the listing: no more relying parties than passkeys (each RP holds at least one),
//! no more passkeys than counted, no credential ID or RP twice; and the whole listing, from the
//! metadata to the last passkey, ends within the session's timeout (`--timeout`), so a key that
//! answers each request just in time cannot keep glasskey busy for hours. A key that breaks
//! any of these contradicts itself: nothing it lists can be trusted.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::ctap2::Ctap2Error;

pub(super) struct ListingBudget {
    /// existingResidentCredentialsCount (already capped at MAX_ENUMERATION).
    counted: u64,
    /// The sum of the totalCredentials the key has announced so far.
    announced: u64,
    rp_hashes: HashSet<[u8; 32]>,
    credential_ids: HashSet<Vec<u8>>,
    timeout: Duration,
    deadline: Instant,
}

const UNTRUSTED: &str = "nothing it lists can be trusted";

impl ListingBudget {
    /// A listing starting now, of no passkeys until the key `declare`s its count.
    pub(super) fn new(timeout: Duration) -> Self {
        Self {
            counted: 0,
            announced: 0,
            rp_hashes: HashSet::new(),
            credential_ids: HashSet::new(),
            timeout,
            deadline: Instant::now() + timeout,
        }
    }

    pub(super) fn declare(&mut self, counted: u64) {
        self.counted = counted;
    }

    /// totalRPs: each relying party listed holds at least one of the counted passkeys.
    pub(super) fn relying_parties(&self, total: u64) -> Result<(), Ctap2Error> {
        if total > self.counted {
            return Err(Ctap2Error::Protocol(format!(
                "the key counts {} passkey(s) but claims {total} relying parties, each of which holds at least one: {UNTRUSTED}",
                self.counted
            )));
        }
        Ok(())
    }

    pub(super) fn relying_party(&mut self, id: &str, id_hash: &[u8; 32]) -> Result<(), Ctap2Error> {
        if !self.rp_hashes.insert(*id_hash) {
            return Err(Ctap2Error::Protocol(format!(
                "the key lists relying party {} twice: {UNTRUSTED}",
                crate::untrusted::Shown(id)
            )));
        }
        Ok(())
    }

    /// totalCredentials of one RP: with those of the RPs before it, no more than counted.
    pub(super) fn credentials(&mut self, rp: &str, total: u64) -> Result<(), Ctap2Error> {
        let announced = self.announced.saturating_add(total);
        if announced > self.counted {
            return Err(Ctap2Error::Protocol(format!(
                "the key counts {} passkey(s) but claims {total} for {}{}: {UNTRUSTED}",
                self.counted,
                crate::untrusted::Shown(rp),
                if self.announced > 0 {
                    format!(" after {} for other sites", self.announced)
                } else {
                    String::new()
                }
            )));
        }
        self.announced = announced;
        Ok(())
    }

    pub(super) fn credential_id(&mut self, rp: &str, id: &[u8]) -> Result<(), Ctap2Error> {
        if !self.credential_ids.insert(id.to_vec()) {
            return Err(Ctap2Error::Protocol(format!(
                "the key lists credential ID {}… twice (under {}): {UNTRUSTED}",
                hex::encode(&id[..id.len().min(8)]),
                crate::untrusted::Shown(rp)
            )));
        }
        Ok(())
    }

    /// The latest a request of this listing may wait until, or the error once it has passed.
    pub(super) fn deadline(&self) -> Result<Instant, Ctap2Error> {
        if Instant::now() >= self.deadline {
            return Err(self.timed_out());
        }
        Ok(self.deadline)
    }

    pub(super) fn has_timed_out(&self) -> bool {
        Instant::now() >= self.deadline
    }

    pub(super) fn timed_out(&self) -> Ctap2Error {
        Ctap2Error::Protocol(format!(
            "the key did not finish listing its passkeys within --timeout ({} s), which bounds the whole listing as well as each reply: rerun with a longer --timeout if the key is genuinely slow",
            self.timeout.as_secs()
        ))
    }
}
