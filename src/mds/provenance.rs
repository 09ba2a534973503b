//! Which FIDO MDS BLOB a report drew on, or that none was: every report of `vet`, `enroll` and
//! `audit` states it, so a reader knows how current the model statuses behind it are.

use serde::Serialize;

use super::store::Header;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// False when no BLOB was imported: no model status was looked up.
    pub consulted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_no: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<String>,
    /// When the BLOB was imported (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_at: Option<String>,
    /// SHA-256 of the BLOB file as imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_sha256: Option<String>,
    /// The BLOB is past its nextUpdate.
    pub stale: bool,
    /// Why none was consulted when that was not for want of an import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_consulted_because: Option<String>,
}

impl Provenance {
    pub fn none() -> Self {
        Self {
            consulted: false,
            blob_no: None,
            next_update: None,
            imported_at: None,
            blob_sha256: None,
            stale: false,
            not_consulted_because: None,
        }
    }

    /// No data directory could be determined, so no store was looked for.
    pub fn no_data_dir() -> Self {
        Self {
            not_consulted_because: Some(super::NO_DATA_DIR.into()),
            ..Self::none()
        }
    }

    pub fn of(header: &Header, today: time::Date) -> Self {
        Self {
            consulted: true,
            blob_no: Some(header.no),
            next_update: Some(header.next_update.clone()),
            imported_at: Some(header.imported_at.clone()),
            blob_sha256: Some(header.blob_sha256.clone()),
            stale: header.stale_on(today),
            not_consulted_because: None,
        }
    }

    /// One line for the text reports.
    pub fn line(&self) -> String {
        if !self.consulted {
            return match &self.not_consulted_because {
                Some(why) => format!("none consulted ({why})"),
                None => "none consulted (no BLOB imported; see `glasskey mds import`)".into(),
            };
        }
        let sha = self.blob_sha256.as_deref().unwrap_or("?");
        format!(
            "BLOB no. {} (next update {}, imported {}, sha256 {}){}",
            self.blob_no.unwrap_or(0),
            self.next_update.as_deref().unwrap_or("?"),
            self.imported_at.as_deref().unwrap_or("?"),
            crate::util::short_digest(sha),
            if self.stale {
                ", STALE: past its next update, import a current BLOB"
            } else {
                ""
            }
        )
    }
}
