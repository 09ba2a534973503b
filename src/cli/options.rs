//! The options of one run: what the command declares (`KeyArgs`, `PinArgs`, `JsonArg`),
//! filled in from the same options written before the command name, which only commands that
//! declare them accept.

use super::args::{
    Cli, Command, InventoryCommand, JsonArg, KeyArgs, LinkArgs, PinArgs, PinCommand, VirtualCommand,
};
use super::entra_args::EntraCommand;
use super::error::CliError;
use super::mds_args::MdsCommand;

/// Seconds to wait for a key and for a touch when `--timeout` is not given.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;

/// Everything a handler may ask about how it was invoked, beyond its own arguments.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub device: Option<String>,
    pub json: bool,
    pub verbose: bool,
    pub timeout: u64,
    pub pin_stdin: bool,
    pub force: bool,
    pub now: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            device: None,
            json: false,
            verbose: false,
            timeout: DEFAULT_TIMEOUT_SECONDS,
            pin_stdin: false,
            force: false,
            now: None,
        }
    }
}

/// The option groups one command declares; `None` where it takes no such option.
#[derive(Default)]
struct Declared<'a> {
    name: &'static str,
    device: Option<&'a Option<String>>,
    link: Option<&'a LinkArgs>,
    pin_stdin: Option<bool>,
    force: Option<bool>,
    json: Option<bool>,
}

impl<'a> Declared<'a> {
    fn named(name: &'static str) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }
    fn key(mut self, key: &'a KeyArgs) -> Self {
        self.device = Some(&key.device);
        self.link = Some(&key.link);
        self
    }
    fn link(mut self, link: &'a LinkArgs) -> Self {
        self.link = Some(link);
        self
    }
    fn pin(mut self, pin: &PinArgs) -> Self {
        self.pin_stdin = Some(pin.pin_stdin);
        self.force = Some(pin.force);
        self
    }
    fn pin_stdin(mut self, pin_stdin: bool) -> Self {
        self.pin_stdin = Some(pin_stdin);
        self
    }
    fn json(mut self, json: &JsonArg) -> Self {
        self.json = Some(json.json);
        self
    }
    fn json_flag(mut self, json: bool) -> Self {
        self.json = Some(json);
        self
    }
}

fn declared(command: &Command) -> Declared<'_> {
    use Declared as D;
    match command {
        Command::List { key, output } => D::named("list").key(key).json(output),
        Command::Info { key, output } => D::named("info").key(key).json(output),
        Command::Wink { key, output } => D::named("wink").key(key).json(output),
        Command::Pin(PinCommand::Status { key, output }) => {
            D::named("pin status").key(key).json(output)
        }
        Command::Pin(PinCommand::Verify { key, pin, output }) => {
            D::named("pin verify").key(key).pin(pin).json(output)
        }
        Command::Pin(PinCommand::Set {
            key,
            pin_stdin,
            output,
            ..
        }) => D::named("pin set")
            .key(key)
            .pin_stdin(*pin_stdin)
            .json(output),
        Command::Pin(PinCommand::Change {
            key, pin, output, ..
        }) => D::named("pin change").key(key).pin(pin).json(output),
        Command::Creds {
            key, pin, output, ..
        } => D::named("creds").key(key).pin(pin).json(output),
        Command::Enroll {
            key, pin, output, ..
        } => D::named("enroll").key(key).pin(pin).json(output),
        Command::Identify { key, output, .. } => D::named("identify").key(key).json(output),
        Command::Audit { key, pin, json, .. } => D::named("audit").key(key).pin(pin).json(json),
        Command::Vet {
            key, pin, output, ..
        } => D::named("vet").key(key).pin(pin).json(output),
        Command::Sheet { json, .. } => D::named("sheet").json_flag(*json),
        Command::Inventory(c) => match c {
            InventoryCommand::Init { output, .. } => D::named("inventory init").json(output),
            InventoryCommand::AddAccount { output, .. } => {
                D::named("inventory add-account").json(output)
            }
            InventoryCommand::Show { output, .. } => D::named("inventory show").json(output),
            InventoryCommand::Validate { output, .. } => {
                D::named("inventory validate").json(output)
            }
            InventoryCommand::History { output, .. } => D::named("inventory history").json(output),
            InventoryCommand::Verify { output, .. } => D::named("inventory verify").json(output),
            InventoryCommand::Digest { output, .. } => D::named("inventory digest").json(output),
            InventoryCommand::Retire { output, .. } => D::named("inventory retire").json(output),
            InventoryCommand::Acknowledge { output, .. } => {
                D::named("inventory acknowledge").json(output)
            }
            InventoryCommand::Reassign { output, .. } => {
                D::named("inventory reassign").json(output)
            }
        },
        Command::Virtual(c) => match c {
            VirtualCommand::Create {
                pin_stdin, output, ..
            } => D::named("virtual create")
                .pin_stdin(*pin_stdin)
                .json(output),
            VirtualCommand::Register {
                link, pin, output, ..
            } => D::named("virtual register")
                .link(link)
                .pin(pin)
                .json(output),
            VirtualCommand::Serve { .. } => D::named("virtual serve"),
            VirtualCommand::Replug { output, .. } => D::named("virtual replug").json(output),
            VirtualCommand::Profiles { output } => D::named("virtual profiles").json(output),
        },
        Command::Entra(c) => match c {
            EntraCommand::Script { .. } => D::named("entra script"),
            EntraCommand::Check { output, .. } => D::named("entra check").json(output),
            EntraCommand::ExportVirtual { .. } => D::named("entra export-virtual"),
        },
        Command::Mds(c) => match c {
            MdsCommand::Import { output, .. } => D::named("mds import").json(output),
            MdsCommand::Show { output, .. } => D::named("mds show").json(output),
            MdsCommand::Status { output } => D::named("mds status").json(output),
            MdsCommand::Forget { output, .. } => D::named("mds forget").json(output),
        },
        Command::Demo => D::named("demo"),
        Command::Completions { .. } => D::named("completions"),
        Command::Man { .. } => D::named("man"),
    }
}

impl RunOptions {
    /// The options for `cli`'s command; an option written before a command that does not
    /// take it is a usage error, as it would be after the command.
    pub fn resolve(cli: &Cli) -> Result<Self, CliError> {
        let d = declared(&cli.command);
        let before = &cli.leading;
        let refuse = |option: &str| {
            CliError::usage(format!(
                "{option} does not apply to `glasskey {}`: see `glasskey {} --help` for its options",
                d.name, d.name
            ))
        };
        let device = match d.device {
            Some(own) => own.clone().or_else(|| before.device.clone()),
            None if before.device.is_some() => return Err(refuse("--device")),
            None => None,
        };
        let (timeout, verbose) = match d.link {
            Some(own) => (
                own.timeout.or(before.timeout),
                own.verbose || before.verbose,
            ),
            None if before.timeout.is_some() => return Err(refuse("--timeout")),
            None if before.verbose => return Err(refuse("--verbose")),
            None => (None, false),
        };
        let flag = |own: Option<bool>, leading: bool, option: &str| match own {
            Some(own) => Ok(own || leading),
            None if leading => Err(refuse(option)),
            None => Ok(false),
        };
        Ok(Self {
            device,
            json: flag(d.json, before.json, "--json")?,
            verbose,
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS),
            pin_stdin: flag(d.pin_stdin, before.pin_stdin, "--pin-stdin")?,
            force: flag(d.force, before.force, "--force")?,
            now: cli.now.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn resolve(args: &[&str]) -> Result<RunOptions, CliError> {
        let cli = Cli::try_parse_from(std::iter::once("glasskey").chain(args.iter().copied()))
            .map_err(|e| CliError::usage(e.to_string()))?;
        RunOptions::resolve(&cli)
    }

    #[test]
    fn an_option_after_the_command_wins_over_the_same_one_before_it() {
        let o = resolve(&["--device", "1", "--timeout", "5", "info", "--device", "2"])
            .map_err(|e| e.message)
            .unwrap();
        assert_eq!(o.device.as_deref(), Some("2"));
        assert_eq!(o.timeout, 5);
        assert!(!o.json);
    }

    #[test]
    fn flags_given_in_either_place_count_and_the_timeout_has_its_default() {
        let o = resolve(&["--json", "creds", "--pin-stdin"])
            .map_err(|e| e.message)
            .unwrap();
        assert!(o.json && o.pin_stdin && !o.force);
        assert_eq!(o.timeout, DEFAULT_TIMEOUT_SECONDS);
    }

    #[test]
    fn a_pin_option_before_a_command_that_sends_no_pin_is_refused() {
        let e = resolve(&["--force", "pin", "set"]).err().map(|e| e.code);
        assert_eq!(e, Some(super::super::error::EXIT_USAGE));
    }
}
