//! Command-line definitions for `glasskey mds …` (handlers in mds_cmd.rs).

use std::path::PathBuf;

use clap::Subcommand;

use super::args::JsonArg;

#[derive(Debug, Subcommand)]
pub enum MdsCommand {
    /// Verify a downloaded FIDO Metadata Service BLOB and store it for vet, enroll and audit
    /// (offline: glasskey never downloads it). Refuses a BLOB older than the one imported, or
    /// other content under the imported number; the same BLOB again changes nothing
    #[command(
        after_help = "Example:\n  curl -sLo blob.jwt https://mds3.fidoalliance.org/\n  glasskey mds import blob.jwt\n\nThe store lives in $GLASSKEY_DATA_DIR, else $XDG_DATA_HOME/glasskey, else ~/.local/share/glasskey."
    )]
    Import {
        /// The BLOB as downloaded (a JWS in compact form)
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Also trust this root (PEM) for the BLOB's signing chain, e.g. a private mirror's
        /// (repeatable). GlobalSign Root CA - R3 and Root R46 are always trusted
        #[arg(long = "trust-root", value_name = "PEM")]
        trust_roots: Vec<PathBuf>,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Print what the imported BLOB says about a model: description, certification, status
    /// reports with dates, attestation roots, authenticatorGetInfo as published
    #[command(
        after_help = "Examples:\n  glasskey mds show 2fc0579f-8113-47ea-b116-bb5a8db9202a\n  glasskey mds show 2fc0579f-8113-47ea-b116-bb5a8db9202a --json"
    )]
    Show {
        /// The model's AAGUID (as `glasskey info` prints it)
        #[arg(value_name = "AAGUID")]
        aaguid: String,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Forget the imported BLOB, so that the next import may carry any number. Only for a BLOB
    /// imported in error (e.g. from a test mirror with a huge number, which makes every real
    /// BLOB look older): rollback protection starts again from the next import
    #[command(
        after_help = "Example:\n  glasskey mds status          # shows the imported number\n  glasskey mds forget --blob-no 18446744073709551615\n  glasskey mds import blob.jwt\n\nThe number must be the imported one: a wrong number forgets nothing (exit 2)."
    )]
    Forget {
        /// The imported BLOB's number, as `glasskey mds status` prints it
        #[arg(long = "blob-no", value_name = "NO")]
        blob_no: u64,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Print which BLOB is imported: number, nextUpdate (stale or not), signer, date of import;
    /// checks every stored entry against its digest
    #[command(after_help = "Example:\n  glasskey mds status")]
    Status {
        #[command(flatten)]
        output: JsonArg,
    },
}
