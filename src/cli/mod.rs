//! The command-line front end: argument definitions (`args`), one file of handlers per area,
//! and the mapping of errors to exit codes (`error`).

pub mod args;
pub mod audit_cmd;
pub mod context;
pub mod creds;
pub mod demo;
pub mod echo_off;
pub mod enroll;
pub mod entra_args;
pub mod entra_cmd;
pub mod error;
pub mod identify_cmd;
pub mod identity_gate;
pub mod inventory_cmd;
pub mod keys;
pub mod labels;
pub mod mds_args;
pub mod mds_cmd;
pub mod options;
pub mod output_file;
pub mod pin;
pub mod pin_input;
pub mod question;
pub mod roster_cmd;
pub mod secret_input;
pub mod sheet_cmd;
pub mod software_keys;
pub mod terminal_line;
pub mod vet;
pub mod virtual_cmd;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use args::{Cli, Command, InventoryCommand, PinCommand, VirtualCommand};
use context::Context;
use error::CliError;

pub fn run(cli: Cli, cancel: Arc<AtomicBool>) -> Result<(), CliError> {
    software_keys::warn_if_test_hook_set();
    let options = options::RunOptions::resolve(&cli)?;
    let mut ctx = Context::new(options.clone(), cancel);
    match &cli.command {
        Command::List { .. } => keys::list(&mut ctx),
        Command::Info { .. } => keys::info(&mut ctx),
        Command::Wink { .. } => keys::wink(&mut ctx),
        Command::Pin(PinCommand::Status { .. }) => pin::status(&mut ctx),
        Command::Pin(PinCommand::Verify { .. }) => pin::verify(&mut ctx),
        Command::Pin(PinCommand::Set { inventory, yes, .. }) => {
            pin::set(&mut ctx, inventory.as_deref(), *yes)
        }
        Command::Pin(PinCommand::Change { inventory, yes, .. }) => {
            pin::change(&mut ctx, inventory.as_deref(), *yes)
        }
        Command::Creds {
            rp,
            persistent_token,
            ..
        } => creds::creds(&mut ctx, rp.as_deref(), *persistent_token),
        Command::Virtual(VirtualCommand::Create {
            path,
            profile,
            serial,
            attestation,
            ..
        }) => virtual_cmd::create(&mut ctx, path, profile, *serial, *attestation),
        Command::Virtual(VirtualCommand::Register {
            path,
            rp,
            user,
            display_name,
            ..
        }) => virtual_cmd::register(&mut ctx, path, rp, user, display_name.as_deref()),
        Command::Virtual(VirtualCommand::Serve { path, udp }) => {
            virtual_cmd::serve_udp(&mut ctx, path, udp)
        }
        Command::Virtual(VirtualCommand::Replug { path, .. }) => {
            virtual_cmd::replug(&mut ctx, path)
        }
        Command::Virtual(VirtualCommand::Profiles { .. }) => virtual_cmd::profiles(&mut ctx),
        Command::Entra(c) => entra_cmd::run(&mut ctx, c),
        Command::Mds(c) => mds_cmd::run(&mut ctx, c),
        Command::Demo => demo::run(&options),
        Command::Vet {
            inventory,
            trust_roots,
            ..
        } => vet::vet(&mut ctx, inventory.as_deref(), trust_roots),
        Command::Inventory(InventoryCommand::Init {
            file,
            tenant,
            accounts,
            min_keys,
            min_pin_length,
            check_interval_days,
            allow_software_keys,
            ..
        }) => inventory_cmd::init_command(
            &mut ctx,
            file,
            tenant.as_deref(),
            accounts,
            crate::inventory::Policy {
                min_keys_per_account: *min_keys,
                min_pin_length: *min_pin_length,
                check_interval_days: *check_interval_days,
                allow_software_keys: *allow_software_keys,
                ..crate::inventory::Policy::default()
            },
        ),
        Command::Inventory(InventoryCommand::AddAccount {
            file,
            upn,
            display_name,
            lock,
            ..
        }) => inventory_cmd::add_account(&mut ctx, file, upn, display_name.as_deref(), lock.wait()),
        Command::Inventory(InventoryCommand::Show { file, .. }) => {
            inventory_cmd::show(&mut ctx, file)
        }
        Command::Inventory(InventoryCommand::Validate { file, entra, .. }) => {
            inventory_cmd::validate(&mut ctx, file, entra.as_deref())
        }
        Command::Inventory(InventoryCommand::History { file, .. }) => {
            inventory_cmd::show_history(&mut ctx, file)
        }
        Command::Inventory(InventoryCommand::Verify { file, .. }) => {
            inventory_cmd::verify(&mut ctx, file)
        }
        Command::Inventory(InventoryCommand::Digest { file, .. }) => {
            inventory_cmd::digest(&mut ctx, file)
        }
        Command::Inventory(InventoryCommand::Retire {
            file,
            key,
            reason,
            note,
            lock,
            ..
        }) => roster_cmd::retire(&mut ctx, file, key, *reason, note, lock.wait()),
        Command::Inventory(InventoryCommand::Acknowledge {
            file, note, lock, ..
        }) => roster_cmd::acknowledge(&mut ctx, file, note, lock.wait()),
        Command::Inventory(InventoryCommand::Reassign {
            file,
            key,
            account,
            note,
            lock,
            ..
        }) => roster_cmd::reassign(&mut ctx, file, key, account, note, lock.wait()),
        Command::Enroll { details, .. } => enroll::enroll(&mut ctx, details),
        Command::Identify { inventory, .. } => identify_cmd::identify(&mut ctx, inventory),
        Command::Audit {
            inventory,
            report,
            output,
            lock,
            entra,
            ..
        } => audit_cmd::audit_with_report(
            &mut ctx,
            inventory,
            *report,
            output.as_deref(),
            lock.wait(),
            entra.as_deref(),
        ),
        Command::Sheet {
            inventory,
            key,
            format,
            paper,
            output,
            entra,
            ..
        } => sheet_cmd::sheet(
            &mut ctx,
            inventory,
            key.as_deref(),
            *format,
            *paper,
            output.as_deref(),
            entra.as_deref(),
        ),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // clap_complete panics on write errors; render to memory, write with our handling.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "glasskey", &mut script);
            ctx.out().write_all(&script).map_err(context::io_error)
        }
        Command::Man { dir: None } => {
            let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            page.render(ctx.out()).map_err(context::io_error)
        }
        Command::Man { dir: Some(dir) } => {
            clap_mangen::generate_to(<Cli as clap::CommandFactory>::command(), dir).map_err(|e| {
                error::CliError {
                    code: error::EXIT_WRITE,
                    message: format!(
                        "cannot write the man pages into {}: {e}; create the directory or choose a writable one",
                        dir.display()
                    ),
                }
            })?;
            writeln!(ctx.out(), "Wrote the man pages into {}", dir.display())
                .map_err(context::io_error)
        }
    }
}
