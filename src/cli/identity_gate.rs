//! Identity before PIN for the commands (DESIGN §3.6). A key's session starts with its PIN
//! operations locked; each command unlocks it one of two ways, and says which.

use super::error::{CliError, EXIT_FINDINGS};
use crate::audit::observe::serial_twin;
use crate::device::Key;
use crate::identity::{identify, IdentityCheck, ProofFailure};
use crate::inventory::model::Inventory;

/// Printed by every PIN-using command that was given no inventory.
pub const IDENTITY_NOT_CHECKED: &str = "glasskey: note: no --inventory given, so this key's identity is not checked: glasskey cannot tell it from a look-alike";

/// A command without an inventory: say so on stderr, then allow PIN operations.
pub fn without_inventory(key: &mut Key) {
    eprintln!("{IDENTITY_NOT_CHECKED}");
    key.session.allow_pin_without_identity_check();
}

/// What to do with a key that reports an inventoried key's serial but proves no identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialTwin {
    /// Refuse before any PIN: the custodian would type the genuine key's PIN.
    Refuse,
    /// Warn and go on: `enroll --allow-duplicate-serial` adds a different key, whose own PIN
    /// is asked for.
    Warn,
    /// Refuse before any PIN, telling `enroll`'s admin how to override once they have checked.
    RefuseUnlessAllowed,
}

/// A command with an inventory, on a key that may be new. A key that proves an inventoried
/// identity is unlocked by that proof and returned as `Some(label)`. A key that claims one
/// without proving it (answers for it with a bad signature or an old counter) is refused before
/// any PIN; one that merely reports an inventoried serial is handled as `twin` says. A key the
/// inventory does not know at all is a new key: PIN operations are allowed, `None` is returned.
pub fn with_inventory(
    key: &mut Key,
    inv: &Inventory,
    twin: SerialTwin,
) -> Result<Option<String>, CliError> {
    let refused = |message: String| CliError {
        code: EXIT_FINDINGS,
        message,
    };
    match identify(&mut key.session, inv)? {
        IdentityCheck::Proven(proven) => {
            key.session.unlock_pin(&proven)?;
            Ok(Some(proven.label))
        }
        IdentityCheck::Failed {
            label,
            failure: ProofFailure::SignatureInvalid,
        } => Err(refused(format!(
            "GK002: this key answered for inventory key {label} but its identity signature did not verify: possible look-alike; no PIN was sent. Take it out of service and investigate"
        ))),
        IdentityCheck::Failed {
            label,
            failure: ProofFailure::CounterBehind { sign_count, recorded },
        } => Err(refused(format!(
            "GK003: this key proved {label}, but its signature counter ({sign_count}) did not advance past the recorded {recorded}: possible clone; no PIN was sent. Investigate before trusting it"
        ))),
        IdentityCheck::Failed {
            label,
            failure: ProofFailure::RecordUnacknowledged,
        } => Err(refused(format!(
            "GK064: this key signs with the identity now recorded for {label}, but that record was changed without an `inventory acknowledge` entry, so the key is not proved; no PIN was sent. Restore the inventory from FILE.bak or your copy; if the change is yours, record why with `glasskey inventory acknowledge`"
        ))),
        IdentityCheck::Unknown { note } => {
            let facts = key.facts()?;
            if let Some(entry) = serial_twin(inv, &facts) {
                let why = note.map(|n| format!(" ({n})")).unwrap_or_default();
                let message = format!(
                    "GK001: this key reports the serial of inventory key {} but cannot prove its identity{why}: possible look-alike",
                    entry.label
                );
                match twin {
                    SerialTwin::Refuse => {
                        return Err(refused(format!("{message}; no PIN was sent")))
                    }
                    SerialTwin::RefuseUnlessAllowed => {
                        return Err(refused(format!("{message}; not enrolled and no PIN was sent. If you have checked that it is another genuine key (vendors do reuse serials rarely), rerun with --allow-duplicate-serial")))
                    }
                    SerialTwin::Warn => {}
                }
                eprintln!("glasskey: warning: {}", crate::untrusted::visible(&message));
            }
            key.session.allow_pin_without_identity_check();
            Ok(None)
        }
    }
}
