//! The tamper-evident check history: each entry carries the SHA-256 of the previous entry and
//! of its own content, so an edited, removed or reordered entry breaks the chain.
//!
//! A chain cannot show that its newest entries were cut off: the newest hash is printed on
//! audit reports and sheets so that paper can anchor it.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::model::{CheckEntry, Event, RosterRecord};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How far ahead of the clock reading it an entry may be dated: clocks of different machines
/// disagree a little, never by more.
pub const FUTURE_TOLERANCE: time::Duration = time::Duration::minutes(5);

/// The hash of an entry's content: the canonical JSON (keys sorted, no spaces) of every field
/// but `hash`, including the hash it chains to. Fields an entry does not have (`event`,
/// `roster`) are absent, so entries written before they existed keep their hashes.
pub fn entry_hash(entry: &CheckEntry) -> String {
    let mut content = serde_json::to_value(entry).unwrap_or_default();
    if let Some(map) = content.as_object_mut() {
        map.remove("hash");
    }
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// The content of a new entry.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub date: String,
    pub keys: Vec<String>,
    pub result: String,
    pub findings: Vec<String>,
    pub event: Option<Event>,
    pub roster: Option<RosterRecord>,
    pub entra: Option<super::model::EntraExportRecord>,
    pub mds: Option<super::model::MdsRecord>,
}

/// Builds the entry that follows `chain`.
pub fn append(chain: &[CheckEntry], draft: Draft) -> CheckEntry {
    let (seq, prev_hash) = chain.last().map_or((1, GENESIS.to_owned()), |last| {
        (last.seq + 1, last.hash.clone())
    });
    let mut entry = CheckEntry {
        seq,
        date: draft.date,
        keys: draft.keys,
        result: draft.result,
        findings: draft.findings,
        event: draft.event,
        roster: draft.roster,
        entra: draft.entra,
        mds: draft.mds,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    entry
}

/// Builds the next check entry of `chain`, without a roster.
pub fn next_entry(
    chain: &[CheckEntry],
    date: &str,
    keys: Vec<String>,
    result: &str,
    findings: Vec<String>,
) -> CheckEntry {
    append(
        chain,
        Draft {
            date: date.into(),
            keys,
            result: result.into(),
            findings,
            ..Draft::default()
        },
    )
}

pub fn parse_date(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Whether `date` lies beyond the tolerance after `now` (an unreadable date is not "future";
/// it is reported as unreadable where it matters).
pub fn is_future(date: &str, now: OffsetDateTime) -> bool {
    parse_date(date).is_some_and(|d| d > now.saturating_add(FUTURE_TOLERANCE))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateProblem {
    #[error("{kind} entry #{position} (seq {seq}) has no readable RFC 3339 date ({date:?})")]
    Unreadable {
        kind: &'static str,
        position: usize,
        seq: u64,
        date: String,
    },
    #[error("{kind} entry #{position} (seq {seq}) is dated {date}, before the entry preceding it ({previous}): dates went backwards")]
    Backwards {
        kind: &'static str,
        position: usize,
        seq: u64,
        date: String,
        previous: String,
    },
    #[error(
        "{kind} entry #{position} (seq {seq}) is dated {date}, in the future of this check ({now})"
    )]
    Future {
        kind: &'static str,
        position: usize,
        seq: u64,
        date: String,
        now: String,
    },
}

/// Dates that cannot be right: unreadable, earlier than the entry before, or ahead of `now`
/// by more than [`FUTURE_TOLERANCE`].
pub fn date_problems(chain: &[CheckEntry], now: OffsetDateTime) -> Vec<DateProblem> {
    let mut out = Vec::new();
    let mut previous: Option<(OffsetDateTime, &str)> = None;
    for (i, e) in chain.iter().enumerate() {
        // Named by its kind, as GK063/GK064 name it: an acknowledge entry is no check.
        let (kind, position, seq) = (e.kind(), i + 1, e.seq);
        let Some(date) = parse_date(&e.date) else {
            out.push(DateProblem::Unreadable {
                kind,
                position,
                seq,
                date: e.date.clone(),
            });
            continue;
        };
        if let Some((before, text)) = previous {
            if date < before {
                out.push(DateProblem::Backwards {
                    kind,
                    position,
                    seq,
                    date: e.date.clone(),
                    previous: text.to_owned(),
                });
            }
        }
        if date > now.saturating_add(FUTURE_TOLERANCE) {
            out.push(DateProblem::Future {
                kind,
                position,
                seq,
                date: e.date.clone(),
                now: now
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            });
        }
        previous = Some((date, &e.date));
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "{kind} entry #{position} (seq {seq}) was edited: its content no longer matches its hash"
    )]
    Edited {
        kind: &'static str,
        position: usize,
        seq: u64,
    },
    #[error("{kind} entry #{position} (seq {seq}) does not follow the entry before it: an entry was removed, inserted or reordered there")]
    Broken {
        kind: &'static str,
        position: usize,
        seq: u64,
    },
}

/// Checks the whole chain and names the first entry that does not fit. Positions are 1-based.
pub fn verify(chain: &[CheckEntry]) -> Result<(), ChainBreak> {
    let mut prev_hash = GENESIS;
    let mut prev_seq = 0u64;
    for (i, e) in chain.iter().enumerate() {
        let position = i + 1;
        if e.hash != entry_hash(e) {
            return Err(ChainBreak::Edited {
                kind: e.kind(),
                position,
                seq: e.seq,
            });
        }
        if e.prev_hash != prev_hash || e.seq != prev_seq + 1 {
            return Err(ChainBreak::Broken {
                kind: e.kind(),
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
                kind: "check",
                position: 3,
                seq: 3
            })
        );
    }

    #[test]
    fn edit_with_recomputed_hash_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].findings = vec!["hidden".into()];
        c[2].hash = entry_hash(&c[2]);
        assert_eq!(
            verify(&c),
            Err(ChainBreak::Broken {
                kind: "check",
                position: 4,
                seq: 4
            })
        );
    }

    #[test]
    fn dates_backwards_and_in_the_future_are_found() {
        let now = parse_date("2026-06-01T00:00:00Z").unwrap();
        let mut c = Vec::new();
        for d in [
            "2026-03-01T00:00:00Z",
            "2026-02-01T00:00:00Z",
            "2026-06-01T00:04:00Z",
            "2026-06-01T00:06:00Z",
        ] {
            let e = next_entry(&c, d, vec![], "pass", vec![]);
            c.push(e);
        }
        let problems = date_problems(&c, now);
        assert!(matches!(
            problems.as_slice(),
            [
                DateProblem::Backwards { position: 2, .. },
                DateProblem::Future { position: 4, .. }
            ]
        ));
    }

    #[test]
    fn an_entry_with_an_event_hashes_it() {
        let mut c = chain(1);
        let e = append(
            &c,
            Draft {
                date: "2026-07-01T00:00:00Z".into(),
                event: Some(Event::Retire {
                    key: "K0".into(),
                    reason: crate::inventory::model::RetireReason::Lost,
                    note: "left in a taxi".into(),
                }),
                ..Draft::default()
            },
        );
        c.push(e);
        assert_eq!(verify(&c), Ok(()));
        if let Some(Event::Retire { note, .. }) = &mut c[1].event {
            *note = "destroyed".into();
        }
        assert!(matches!(
            verify(&c),
            Err(ChainBreak::Edited {
                kind: "retire",
                position: 2,
                ..
            })
        ));
    }

    #[test]
    fn removal_and_reordering_are_found() {
        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(
            verify(&removed),
            Err(ChainBreak::Broken {
                kind: "check",
                position: 2,
                seq: 3
            })
        );
        let mut swapped = chain(5);
        swapped.swap(2, 3);
        assert_eq!(
            verify(&swapped),
            Err(ChainBreak::Broken {
                kind: "check",
                position: 3,
                seq: 4
            })
        );
    }
}
