//! Command-line definitions for `glasskey entra …` (handlers in entra_cmd.rs).

use std::path::PathBuf;

use clap::Subcommand;

use super::args::JsonArg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScriptShell {
    /// PowerShell 7 with the Microsoft.Graph module (Connect-MgGraph, Invoke-MgGraphRequest)
    Pwsh,
    /// bash with the Azure CLI (az rest) and jq
    Bash,
}

#[derive(Debug, Subcommand)]
pub enum EntraCommand {
    /// Print the read-only script that exports the inventory's accounts from Entra ID (run it
    /// with your own Graph session; glasskey never talks to the network)
    #[command(
        after_help = "Examples:\n  glasskey entra script --inventory bg.toml > export-entra.ps1\n  glasskey entra script --inventory bg.toml --shell bash -o export-entra.sh\n\nThen run the script and check its output:\n  pwsh ./export-entra.ps1            # writes glasskey-entra-export.json\n  glasskey entra check --inventory bg.toml --export glasskey-entra-export.json"
    )]
    Script {
        /// The inventory whose break-glass accounts the script exports
        #[arg(long, value_name = "FILE")]
        inventory: PathBuf,
        /// Which shell the script is for
        #[arg(long, value_enum, default_value = "pwsh")]
        shell: ScriptShell,
        /// Write the script to this file instead of stdout
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Reconcile an Entra export with the keys' recorded passkeys (offline). Exit 1 on findings
    #[command(
        after_help = "Example:\n  glasskey entra check --inventory bg.toml --export glasskey-entra-export.json\n  glasskey entra check --inventory bg.toml --export glasskey-entra-export.json --json"
    )]
    Check {
        /// The inventory whose keys' recorded passkeys are reconciled
        #[arg(long, value_name = "FILE")]
        inventory: PathBuf,
        /// The JSON file the script from `glasskey entra script` wrote
        #[arg(long, value_name = "FILE")]
        export: PathBuf,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Write the export Entra would give for passkeys registered with glasskey virtual keys
    /// (demos and tests; real keys need the real export)
    #[command(
        after_help = "Example:\n  glasskey entra export-virtual --inventory bg.toml --key bg1.json --key bg2.json -o export.json"
    )]
    ExportVirtual {
        /// The inventory naming the tenant and the accounts to export
        #[arg(long, value_name = "FILE")]
        inventory: PathBuf,
        /// A virtual key state file whose passkeys are registered in Entra (repeatable)
        #[arg(long = "key", value_name = "FILE", required = true)]
        keys: Vec<PathBuf>,
        /// Where to write the export
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
    },
}
