//! Command-line definitions only; handlers live beside this file.
//!
//! Options are declared on the commands they apply to: a command that talks to a key flattens
//! [`KeyArgs`], one that sends an existing PIN flattens [`PinArgs`], one that prints a result
//! flattens [`JsonArg`]. `cli::options` turns them into the options of one run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  pass
  1  findings (e.g. PIN retries below maximum)
  2  usage or input error (bad arguments, wrong PIN, refused PIN, several keys and no --device)
  3  device or protocol error (no key, timeout, malformed reply, unplugged key)
  4  a file could not be written (full disk, permissions, inventory locked by another glasskey)
  5  the key lacks an optional feature that was asked for (e.g. wink on a key without WINK)

Keys are chosen with --device: a HID path, a YubiKey or USB serial number, virtual:PATH for a
glasskey virtual key, or udp:127.0.0.1:PORT for a simulator. PINs are never taken from the
command line: glasskey prompts without echo (naming the key), or reads them from stdin with
--pin-stdin: one PIN per line; when several keys need a PIN, each line names its key as
LABEL=PIN or SERIAL=PIN (or LABEL<TAB>PIN). A PIN is never offered to another key.
Each command's --help lists the options it takes; options may also come before the command
(glasskey --device KEY info).

Example:
  glasskey list
  glasskey audit --inventory bg.toml";

const PIN_STDIN_HELP: &str = "\
Read PINs from stdin instead of prompting, one PIN per line (at a terminal: without echo).
When several keys need a PIN in one run (an audit of several plugged keys), each line names
its key: LABEL=PIN or LABEL<TAB>PIN, where LABEL is the key's inventory label or its serial
number. A line with = or a tab must name such a key, or it is refused before anything is
sent; a PIN that itself holds = or a tab is given as =PIN (or after its key's name). An unnamed line is accepted only when exactly one key
needs a PIN; a PIN is never offered to another key. `pin change` reads the current PIN, then
the new one. A PIN with leading or trailing blanks, a NUL or a byte-order mark is refused
before anything is sent; PINs are NFC-normalised as CTAP requires.";

#[derive(Debug, Parser)]
#[command(name = "glasskey", version, about = "Check the FIDO2 security keys that guard break-glass accounts", after_help = EXIT_CODES)]
pub struct Cli {
    /// Key, PIN and output options written before the command; hidden from help, where each
    /// command lists its own. A command that does not take one refuses it.
    #[command(flatten)]
    pub leading: LeadingArgs,
    /// Pretend the current time is this RFC 3339 instant (tests, replaying a check)
    #[arg(long, global = true, hide = true, value_name = "RFC3339")]
    pub now: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// Which key to talk to, and how patiently.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Key options")]
pub struct KeyArgs {
    /// Key to use: HID path, serial number, virtual:PATH or udp:HOST:PORT
    #[arg(long, short = 'd', value_name = "KEY")]
    pub device: Option<String>,
    #[command(flatten)]
    pub link: LinkArgs,
}

/// The longest `--timeout`: an hour is more than any touch or key needs, and keeps every
/// deadline far from `Instant` overflow.
pub const MAX_TIMEOUT_SECONDS: u64 = 3600;

fn timeout_seconds() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECONDS)
}

/// How to talk to a key already chosen.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Key options")]
pub struct LinkArgs {
    /// Seconds to wait for the key and for a touch, 1 to 3600 [default: 30]
    #[arg(long, value_name = "SECONDS", value_parser = timeout_seconds())]
    pub timeout: Option<u64>,
    /// Print a CTAPHID trace on stderr (PIN material redacted)
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// For commands that send a key its existing PIN.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "PIN options")]
pub struct PinArgs {
    /// Read PINs from stdin, one per line (LABEL=PIN or SERIAL=PIN with several keys)
    #[arg(long, long_help = PIN_STDIN_HELP)]
    pub pin_stdin: bool,
    /// Send the PIN even when only 3 or fewer attempts are left (risks locking the key)
    #[arg(long)]
    pub force: bool,
}

/// For commands that print a result.
#[derive(Debug, Args, Clone, Default)]
pub struct JsonArg {
    /// Print machine-readable JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// For commands that change the inventory.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Inventory options")]
pub struct LockArg {
    /// Seconds to wait while another glasskey writes the same inventory, then give up (exit 4;
    /// Ctrl-C stops the wait, exit 3)
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub lock_wait: u64,
}

impl Default for LockArg {
    fn default() -> Self {
        Self {
            lock_wait: crate::inventory::lock::DEFAULT_WAIT.as_secs(),
        }
    }
}

impl LockArg {
    pub fn wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lock_wait)
    }
}

/// The same options accepted before the command name, for scripts written that way.
#[derive(Debug, Args, Clone, Default)]
pub struct LeadingArgs {
    #[arg(long, short = 'd', hide = true, value_name = "KEY")]
    pub device: Option<String>,
    #[arg(long, hide = true)]
    pub json: bool,
    #[arg(long, short = 'v', hide = true)]
    pub verbose: bool,
    #[arg(long, hide = true, value_name = "SECONDS", value_parser = timeout_seconds())]
    pub timeout: Option<u64>,
    #[arg(long, hide = true)]
    pub pin_stdin: bool,
    #[arg(long, hide = true)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every FIDO key plugged in
    #[command(after_help = "Examples:\n  glasskey list\n  glasskey list --json")]
    List {
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Show everything a key says about itself (getInfo, humanized), plus serials
    #[command(after_help = "Example:\n  glasskey info --device 31337001")]
    Info {
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// PIN state and checks
    #[command(subcommand)]
    Pin(PinCommand),
    /// List the passkeys (discoverable credentials) on a key; needs the PIN
    #[command(after_help = "Example:\n  glasskey creds --rp login.microsoft.com")]
    Creds {
        /// Only credentials of this relying party
        #[arg(long, value_name = "RP_ID")]
        rp: Option<String>,
        /// Use a CTAP 2.2 persistent read-only token (pcmr) where the key offers one. Off by
        /// default: the key keeps only one, and this replaces any another tool saved
        #[arg(long)]
        persistent_token: bool,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Blink the key so you know which one it is
    #[command(
        after_help = "A key without the WINK capability cannot blink: glasskey says so and exits 5.\n\nExample:\n  glasskey wink --device 31337001"
    )]
    Wink {
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Create and inspect the break-glass inventory file
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Add the plugged key to the inventory, bound to a credential glasskey creates on it
    #[command(
        after_help = "Example:\n  glasskey enroll --inventory bg.toml --label BG01-A --account bg-01@contoso.onmicrosoft.com \\\n      --custodian 'A. Admin' --location 'Safe 1, HQ'"
    )]
    Enroll {
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        details: EnrollArgs,
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Which inventoried key is plugged in? (proved by signature; no touch, no PIN)
    #[command(after_help = "Example:\n  glasskey identify --inventory bg.toml")]
    Identify {
        /// The inventory file (TOML) to look the key up in
        #[arg(long, value_name = "FILE")]
        inventory: PathBuf,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// The quarterly check: prove, inspect and record every plugged key, then apply the policy
    /// to the whole inventory. Exit 1 on findings
    #[command(
        after_help = "Examples:\n  glasskey audit --inventory bg.toml\n  glasskey audit --inventory bg.toml --json > check-2026Q4.json"
    )]
    Audit {
        /// The inventory file (TOML); the check is recorded in it
        #[arg(long, value_name = "FILE")]
        inventory: PathBuf,
        /// Also render the report as HTML or Markdown (to stdout, or to --output)
        #[arg(long, value_enum)]
        report: Option<ReportFormat>,
        /// Where to write the --report
        #[arg(long, short = 'o', requires = "report", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also reconcile this Entra export (from `glasskey entra script`): both sides in one check
        #[arg(long, value_name = "FILE")]
        entra: Option<PathBuf>,
        #[command(flatten)]
        json: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        pin: PinArgs,
        #[command(flatten)]
        lock: LockArg,
    },
    /// Vet a new key before registration: genuine (attestation), firmware, factory state,
    /// capabilities; with an inventory, approved model and not already enrolled. Exit 1 on findings
    #[command(
        after_help = "Examples:\n  glasskey vet --inventory bg.toml\n  glasskey vet --trust-root my-vendor-root.pem"
    )]
    Vet {
        /// Also check the inventory's approved models and that the key is not enrolled yet
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// Trust this PEM root certificate as well as the bundled vendor roots (repeatable)
        #[arg(long = "trust-root", value_name = "PEM")]
        trust_roots: Vec<PathBuf>,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Printable per-key sheets (HTML) and summary tables (Markdown, CSV, JSON) from the inventory
    #[command(
        after_help = "Examples:\n  glasskey sheet --inventory bg.toml -o sheets.html        # print, file beside the keys\n  glasskey sheet --inventory bg.toml --format csv -o keys.csv\n  glasskey sheet --inventory bg.toml --key BG01-A --paper letter -o bg01-a.html"
    )]
    Sheet {
        /// The inventory file (TOML) to print
        #[arg(long, value_name = "FILE")]
        inventory: PathBuf,
        /// Only this key
        #[arg(long, value_name = "LABEL")]
        key: Option<String>,
        /// What to produce: printable HTML sheets, or a summary table
        #[arg(long, value_enum, default_value = "html")]
        format: SheetFormat,
        /// Paper size the HTML sheets are laid out for
        #[arg(long, value_enum, default_value = "a4")]
        paper: PaperSize,
        /// Write to this file instead of stdout
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Same as --format json
        #[arg(long)]
        json: bool,
        /// Show each key's Entra method from this export (from `glasskey entra script`)
        #[arg(long, value_name = "FILE")]
        entra: Option<PathBuf>,
    },
    /// The account side: reconcile the break-glass accounts' Entra ID registrations with the
    /// keys, offline, from an export made by a script glasskey prints
    #[command(subcommand)]
    Entra(super::entra_args::EntraCommand),
    /// The FIDO Metadata Service, offline: import a downloaded BLOB, show a model's statement
    #[command(subcommand)]
    Mds(super::mds_args::MdsCommand),
    /// Work with glasskey's virtual (software) security keys
    #[command(subcommand)]
    Virtual(VirtualCommand),
    /// Show glasskey at work on built-in virtual keys: no hardware, no input
    #[command(after_help = "Example:\n  glasskey demo")]
    Demo,
    /// Print a shell completion script
    #[command(
        after_help = "Example:\n  glasskey completions bash > ~/.local/share/bash-completion/completions/glasskey"
    )]
    Completions {
        /// The shell to write the script for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory
    #[command(
        after_help = "Examples:\n  glasskey man > glasskey.1 && man ./glasskey.1\n  glasskey man --dir /usr/local/share/man/man1   # glasskey-audit.1, glasskey-pin-status.1, ..."
    )]
    Man {
        /// Write glasskey.1 and a page for every command (glasskey-COMMAND.1) into this directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SheetFormat {
    Html,
    Md,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PaperSize {
    A4,
    Letter,
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The inventory file (TOML) to add the key to
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    /// A short name for the key, written on its sheet and casing
    #[arg(long)]
    pub label: String,
    /// UPN of the break-glass account the key serves
    #[arg(long)]
    pub account: String,
    /// Who is responsible for the key
    #[arg(long)]
    pub custodian: String,
    /// Where the key is stored (safe, building)
    #[arg(long)]
    pub location: String,
    /// The serial printed on the casing, for keys that cannot report one
    #[arg(long)]
    pub casing_serial: Option<String>,
    /// Enroll a key whose passkeys cannot be read without asking (needed when not at a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Enroll a key that reports the serial of a key already enrolled (refused otherwise, as a
    /// possible look-alike): only after checking it is another genuine key
    #[arg(long)]
    pub allow_duplicate_serial: bool,
    #[command(flatten)]
    pub lock: LockArg,
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Create a new inventory file
    #[command(
        after_help = "Example:\n  glasskey inventory init bg.toml --tenant contoso.onmicrosoft.com \\\n      --account 'bg-01@contoso.onmicrosoft.com=Break Glass 01' --account bg-02@contoso.onmicrosoft.com"
    )]
    Init {
        /// The inventory file to create (refused if it exists)
        file: PathBuf,
        /// The Entra tenant (e.g. contoso.onmicrosoft.com); asked for in a terminal if omitted
        #[arg(long)]
        tenant: Option<String>,
        /// A break-glass account, as UPN or UPN=Display Name (repeatable)
        #[arg(long = "account", value_name = "UPN[=NAME]")]
        accounts: Vec<String>,
        /// Keys every account needs (1-16)
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
        min_keys: u32,
        /// Minimum PIN length the custodians' PINs must meet (4-63)
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(4..=63))]
        min_pin_length: u32,
        /// Every key must be checked within this many days (1-400)
        #[arg(long, default_value_t = 92, value_parser = clap::value_parser!(u32).range(1..=400))]
        check_interval_days: u32,
        /// Admit software keys (virtual:, udp:) into this inventory: for demos and tests only
        #[arg(long)]
        allow_software_keys: bool,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Add a break-glass account
    #[command(
        after_help = "Example:\n  glasskey inventory add-account bg.toml --upn bg-03@contoso.onmicrosoft.com --display-name 'Break Glass 03'"
    )]
    AddAccount {
        /// The inventory file
        file: PathBuf,
        /// The account's user principal name
        #[arg(long)]
        upn: String,
        /// The account's display name in Entra ID
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        lock: LockArg,
    },
    /// Print the inventory: accounts, keys, last observations
    #[command(after_help = "Example:\n  glasskey inventory show bg.toml")]
    Show {
        /// The inventory file
        file: PathBuf,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Check the file and apply the policy to the recorded observations (no key needed). Exit 1 on findings
    #[command(after_help = "Example:\n  glasskey inventory validate bg.toml")]
    Validate {
        /// The inventory file
        file: PathBuf,
        /// Also reconcile this Entra export (from `glasskey entra script`) with the recorded passkeys
        #[arg(long, value_name = "FILE")]
        entra: Option<PathBuf>,
        #[command(flatten)]
        output: JsonArg,
    },
    /// List the recorded checks
    #[command(after_help = "Example:\n  glasskey inventory history bg.toml")]
    History {
        /// The inventory file
        file: PathBuf,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Verify the hash chain of recorded checks; names the first entry edited, removed or reordered
    #[command(after_help = "Example:\n  glasskey inventory verify bg.toml")]
    Verify {
        /// The inventory file
        file: PathBuf,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Print the SHA-256 of the inventory file (as printed on sheets)
    #[command(after_help = "Example:\n  glasskey inventory digest bg.toml")]
    Digest {
        /// The inventory file
        file: PathBuf,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Take a key out of service with the reason on record: its entry stays (marked retired, no
    /// longer counted or expected), and a chained history entry records why
    #[command(
        after_help = "Examples:\n  glasskey inventory retire bg.toml --key BG01-B --reason lost --note 'Lost in transit to the DR site; ticket 4711'\n  glasskey inventory retire bg.toml --key BG02-A --reason replaced --note 'Firmware advisory; replaced by BG02-C' --json"
    )]
    Retire {
        /// The inventory file
        file: PathBuf,
        /// The label of the key to retire
        #[arg(long, value_name = "LABEL")]
        key: String,
        /// Why the key leaves service
        #[arg(long, value_enum)]
        reason: crate::inventory::model::RetireReason,
        /// What happened, for the record (ticket, who, where)
        #[arg(long, value_name = "TEXT")]
        note: String,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        lock: LockArg,
    },
    /// Vouch for roster changes made outside glasskey (GK063/GK064), on the record
    #[command(
        after_help = "Example:\n  glasskey inventory acknowledge bg.toml --note 'Casing serial of BG01-B typed wrong at enrolment; ticket 4713'\n\nThe entry names every item that differs from the newest recorded roster, with your note, and\nis shown by `inventory history`. Until then every audit and validate reports the change.\nAn entry in the history that itself recorded an unexplained change stays reported."
    )]
    Acknowledge {
        /// The inventory file
        file: PathBuf,
        /// What changed and why, for the record (ticket, who)
        #[arg(long, value_name = "TEXT")]
        note: String,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        lock: LockArg,
    },
    /// Move a key to another break-glass account, with a chained history entry saying why
    #[command(
        after_help = "Example:\n  glasskey inventory reassign bg.toml --key BG01-B --account bg-02@contoso.onmicrosoft.com --note 'bg-02 lost its second key; ticket 4712'\n\nRegister the key's passkey for the new account in Entra ID, then audit the key."
    )]
    Reassign {
        /// The inventory file
        file: PathBuf,
        /// The label of the key to move
        #[arg(long, value_name = "LABEL")]
        key: String,
        /// The break-glass account (UPN) the key serves from now on
        #[arg(long, value_name = "UPN")]
        account: String,
        /// Why, for the record (ticket, who)
        #[arg(long, value_name = "TEXT")]
        note: String,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        lock: LockArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Is a PIN set, and has anyone been guessing it? Exit 1 unless untouched
    #[command(after_help = "Example:\n  glasskey pin status --device 31337001")]
    Status {
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Check that you know the PIN (a correct PIN restores the retry counter)
    #[command(
        after_help = "Examples:\n  glasskey pin verify\n  printf '%s\\n' \"$PIN\" | glasskey pin verify --pin-stdin"
    )]
    Verify {
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Set the first PIN on a key that has none (asked twice; confirmed before writing)
    #[command(
        after_help = "The PIN must be at least as long as both the inventory policy (default 6) and the\nkey's own minimum, and may not be one repeated character or a sequence like 123456.\n\nExample:\n  glasskey pin set --inventory bg.toml"
    )]
    Set {
        /// Take the minimum PIN length from this inventory's policy
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// Do not ask for confirmation (needed when not at a terminal)
        #[arg(long)]
        yes: bool,
        /// Read the new PIN from stdin (one line) instead of prompting twice
        #[arg(long)]
        pin_stdin: bool,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Change the PIN (the current PIN goes through every safety rule)
    #[command(
        after_help = "With --pin-stdin, give the current PIN on the first line and the new PIN on the second.\n\nExample:\n  glasskey pin change"
    )]
    Change {
        /// Take the minimum PIN length from this inventory's policy
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// Do not ask for confirmation (needed when not at a terminal)
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        pin: PinArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum VirtualCommand {
    /// Create a virtual key in a JSON state file
    #[command(
        after_help = "Examples:\n  glasskey virtual create bg1.json --profile yubikey-5.7 --serial 31337001\n  echo 428193 | glasskey virtual create bg2.json --pin-stdin"
    )]
    Create {
        /// The state file to create (JSON)
        path: PathBuf,
        /// One of the profiles listed by `glasskey virtual profiles`
        #[arg(long, default_value = crate::virtual_key::profile::DEFAULT_PROFILE)]
        profile: String,
        /// The serial number the key reports (random if omitted)
        #[arg(long)]
        serial: Option<u32>,
        /// How it attests new credentials (test-ca… use glasskey's TEST CA, data/test-ca)
        #[arg(long, value_enum, default_value = "self")]
        attestation: crate::virtual_key::state::AttestationMode,
        /// Set a PIN on the new key, read from stdin (one line); without it the key has no PIN
        #[arg(long)]
        pin_stdin: bool,
        #[command(flatten)]
        output: JsonArg,
    },
    /// Register a passkey on a virtual key, as a browser would (makeCredential rk=true)
    #[command(
        after_help = "Example:\n  echo 428193 | glasskey virtual register bg1.json --rp login.microsoft.com --user bg-01@contoso.onmicrosoft.com --pin-stdin"
    )]
    Register {
        /// The virtual key's state file
        path: PathBuf,
        /// The relying party to register with
        #[arg(long, default_value = "login.microsoft.com")]
        rp: String,
        /// The account's user name (UPN for Entra ID)
        #[arg(long)]
        user: String,
        /// The account's display name
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        output: JsonArg,
        #[command(flatten)]
        link: LinkArgs,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Serve a virtual key on loopback UDP (one 64-byte report per datagram) until Ctrl-C
    #[command(
        after_help = "Examples:\n  glasskey virtual serve bg1.json --udp 127.0.0.1:8111\n  glasskey info --device udp:127.0.0.1:8111"
    )]
    Serve {
        /// The virtual key's state file
        path: PathBuf,
        /// Loopback address and port to listen on
        #[arg(long, value_name = "HOST:PORT")]
        udp: String,
    },
    /// Unplug and replug a virtual key (a power cycle: clears "three wrong PINs in a row")
    #[command(after_help = "Example:\n  glasskey virtual replug bg1.json")]
    Replug {
        /// The virtual key's state file
        path: PathBuf,
        #[command(flatten)]
        output: JsonArg,
    },
    /// List the profiles a virtual key can imitate
    #[command(after_help = "Example:\n  glasskey virtual profiles")]
    Profiles {
        #[command(flatten)]
        output: JsonArg,
    },
}
