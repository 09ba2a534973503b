//! The tamper-evident check history: each entry carries the SHA-256 of the previous entry and
//! of its own content, so an edited, removed or reordered entry breaks the chain.
//!
//! A chain cannot show that its newest entries were cut off: the newest hash is printed on
//! audit reports and sheets so that paper can anchor it.

use sha2::{Digest, Sha256};

use super::model::CheckEntry;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry's content, including the hash it chains to.
pub fn entry_hash(
    seq: u64,
    date: &str,
    keys: &[String],
    result: &str,
    findings: &[String],
    prev_hash: &str,
) -> String {
    // serde_json's default map is sorted by key, so this encoding is canonical.
    let content = serde_json::json!({
        "seq": seq, "date": date, "keys": keys, "result": result, "findings": findings, "prev_hash": prev_hash,
    });
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// Builds the next entry of `chain`.
pub fn next_entry(
    chain: &[CheckEntry],
    date: &str,
    keys: Vec<String>,
    result: &str,
    findings: Vec<String>,
) -> CheckEntry {
    let (seq, prev_hash) = chain.last().map_or((1, GENESIS.to_owned()), |last| {
        (last.seq + 1, last.hash.clone())
    });
    let hash = entry_hash(seq, date, &keys, result, &findings, &prev_hash);
    CheckEntry {
        seq,
        date: date.into(),
        keys,
        result: result.into(),
        findings,
        prev_hash,
        hash,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "check entry #{position} (seq {seq}) was edited: its content no longer matches its hash"
    )]
    Edited { position: usize, seq: u64 },
    #[error("check entry #{position} (seq {seq}) does not follow the entry before it: an entry was removed, inserted or reordered there")]
    Broken { position: usize, seq: u64 },
}

/// Checks the whole chain and names the first entry that does not fit. Positions are 1-based.
pub fn verify(chain: &[CheckEntry]) -> Result<(), ChainBreak> {
    let mut prev_hash = GENESIS;
    let mut prev_seq = 0u64;
    for (i, e) in chain.iter().enumerate() {
        let position = i + 1;
        if e.hash
            != entry_hash(
                e.seq,
                &e.date,
                &e.keys,
                &e.result,
                &e.findings,
                &e.prev_hash,
            )
        {
            return Err(ChainBreak::Edited {
                position,
                seq: e.seq,
            });
        }
        if e.prev_hash != prev_hash || e.seq != prev_seq + 1 {
            return Err(ChainBreak::Broken {
                position,
                seq: e.seq,
            });
        }
        prev_hash = &e.hash;
        prev_seq = e.seq;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<CheckEntry> {
        let mut c = Vec::new();
        for i in 0..n {
            let e = next_entry(
                &c,
                &format!("2026-0{}-01T00:00:00Z", i + 1),
                vec![format!("K{i}")],
                "pass",
                vec![],
            );
            c.push(e);
        }
        c
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(()));
        assert_eq!(verify(&[]), Ok(()));
    }

    #[test]
    fn edit_is_found_at_its_entry() {
        let mut c = chain(5);
        c[2].result = "findings".into();
        assert_eq!(
            verify(&c),
            Err(ChainBreak::Edited {
                position: 3,
                seq: 3
            })
        );
    }

    #[test]
    fn edit_with_recomputed_hash_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].findings = vec!["hidden".into()];
        c[2].hash = entry_hash(
            3,
            &c[2].date,
            &c[2].keys,
            &c[2].result,
            &c[2].findings,
            &c[2].prev_hash,
        );
        assert_eq!(
            verify(&c),
            Err(ChainBreak::Broken {
                position: 4,
                seq: 4
            })
        );
    }

    #[test]
    fn removal_and_reordering_are_found() {
        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(
            verify(&removed),
            Err(ChainBreak::Broken {
                position: 2,
                seq: 3
            })
        );
        let mut swapped = chain(5);
        swapped.swap(2, 3);
        assert_eq!(
            verify(&swapped),
            Err(ChainBreak::Broken {
                position: 3,
                seq: 4
            })
        );
    }
}
