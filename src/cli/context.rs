//! What every command needs: the chosen key, the PIN (from the right place), output in the
//! requested format, and the Ctrl-C flag.

use std::io::{BufWriter, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::error::CliError;
use super::options::RunOptions;
use super::pin_input::{PinLines, PinRun, PinTarget};
use super::secret_input::read_hidden;
use crate::ctap2::session::{PinToken, TokenPurpose};
use crate::ctaphid::{KeepaliveStatus, TraceDirection};
use crate::device::{discover, DeviceError, DeviceSpec, Key, OpenOptions};
use crate::secret::Pin;
use crate::transport::Report;
use crate::untrusted::{Escape, VisibleWriter};

/// Bytes gathered before output is escaped, and again before it reaches stdout.
const OUTPUT_BUFFER: usize = 64 * 1024;

/// Where the PIN comes from. `Given` is for the demo, which drives its own virtual keys.
#[derive(Clone)]
pub enum PinSource {
    Stdin,
    Prompt,
    Given(Pin),
}

pub struct Context {
    /// The options of this run: the command's own, resolved by `options::RunOptions`.
    pub global: RunOptions,
    pub cancel: Arc<AtomicBool>,
    pub pin_source: PinSource,
    /// Lines of stdin are PINs (`--pin-stdin`), each bound to its key (cli/pin_input.rs):
    /// old then new for a change, one named line per key for an audit of several keys.
    stdin: Option<PinLines>,
    out: Box<dyn Write>,
}

impl Context {
    pub fn new(global: RunOptions, cancel: Arc<AtomicBool>) -> Self {
        let pin_source = if global.pin_stdin {
            PinSource::Stdin
        } else {
            PinSource::Prompt
        };
        Self {
            global,
            cancel,
            pin_source,
            stdin: None,
            out: Box::new(std::io::stdout()),
        }
    }

    /// A context writing to a buffer, for the demo and tests.
    pub fn with_output(global: RunOptions, out: Box<dyn Write>, pin_source: PinSource) -> Self {
        Self {
            global,
            cancel: Arc::new(AtomicBool::new(false)),
            pin_source,
            stdin: None,
            out,
        }
    }

    /// Waiting up to `limit` (`--lock-wait`) for another glasskey writing the inventory, or
    /// until Ctrl-C.
    pub fn lock_wait(&self, limit: std::time::Duration) -> crate::inventory::lock::Wait {
        crate::inventory::lock::Wait {
            limit,
            cancel: Some(Arc::clone(&self.cancel)),
        }
    }

    /// The current time, or the one given with --now; whole seconds, UTC.
    pub fn now(&self) -> Result<time::OffsetDateTime, CliError> {
        let now = match &self.global.now {
            Some(s) => crate::audit::rules::parse_date(s).ok_or_else(|| {
                CliError::usage(format!(
                    "--now {s:?} is not an RFC 3339 time such as 2026-11-25T10:00:00Z"
                ))
            })?,
            None => time::OffsetDateTime::now_utc(),
        };
        Ok(now
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .unwrap_or(now))
    }

    pub fn out(&mut self) -> &mut dyn Write {
        &mut *self.out
    }

    /// Writes JSON or the human rendering, as asked. Either way every hidden character (a
    /// terminal escape, a bidi control) in the output is escaped on the way out (DESIGN §3.8);
    /// human renderers also escape each outside string they interpolate, so that none can
    /// start a line of its own.
    pub fn emit<T: serde::Serialize>(
        &mut self,
        value: &T,
        human: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), CliError> {
        // Buffered on both sides of the escaping: serde_json writes token by token and stdout
        // flushes at every line end, so a large report (an Entra check of a big tenant) would
        // otherwise cost an escape pass and an allocation per token and a syscall per line.
        let escape = if self.global.json {
            Escape::Json
        } else {
            Escape::Text
        };
        let mut w = BufWriter::with_capacity(
            OUTPUT_BUFFER,
            VisibleWriter::new(
                BufWriter::with_capacity(OUTPUT_BUFFER, &mut *self.out),
                escape,
            ),
        );
        let result = if self.global.json {
            serde_json::to_writer_pretty(&mut w, value)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(w))
                .and_then(|()| w.flush())
        } else {
            human(&mut w).and_then(|()| w.flush())
        };
        result.map_err(io_error)
    }

    pub fn open_options(&self) -> OpenOptions {
        let verbose = self.global.verbose;
        OpenOptions {
            timeout: Duration::from_secs(self.global.timeout.max(1)),
            cancel: Arc::clone(&self.cancel),
            trace: verbose.then(|| {
                Box::new(|| {
                    Box::new(print_trace) as Box<dyn FnMut(TraceDirection, &Report, bool) + Send>
                }) as Box<dyn Fn() -> _ + Send + Sync>
            }),
            on_keepalive: Some(Box::new(|| {
                Box::new(|status| {
                    if status == KeepaliveStatus::UserPresenceNeeded {
                        eprintln!("Touch your key now.");
                    }
                }) as Box<dyn FnMut(KeepaliveStatus) + Send>
            })),
        }
    }

    /// Opens the key named by --device, or the only key plugged in.
    pub fn open_key(&self) -> Result<Key, CliError> {
        let options = self.open_options();
        if let Some(d) = &self.global.device {
            return Ok(Key::open(&DeviceSpec::parse(d), &options)?);
        }
        let found = discover()?;
        match found.len() {
            0 => Err(DeviceError::NoKey.into()),
            1 => Ok(Key::open(&found[0].0, &options)?),
            _ if std::io::stdin().is_terminal() && !self.global.pin_stdin => {
                select_by_touch(found.into_iter().map(|(s, _)| s).collect(), &options)
            }
            _ => Err(DeviceError::Several(found.into_iter().map(|(s, _)| s).collect()).into()),
        }
    }

    /// A new PIN for `target`: its next stdin line (optionally repeated on the line after), or
    /// typed twice at the terminal.
    pub fn new_pin(&mut self, target: &PinTarget) -> Result<Pin, CliError> {
        match self.pin_source.clone() {
            PinSource::Given(p) => Ok(p),
            PinSource::Stdin if !std::io::stdin().is_terminal() => {
                // Its confirmation line, if any, is read after it by `confirm_new`.
                let run = PinRun::single_then_more(target);
                let pin = self.pin_for(target, &run, None)?;
                if let Some(lines) = self.stdin.as_mut() {
                    lines.confirm_new(&pin, &run)?;
                }
                Ok(pin)
            }
            // At a terminal, --pin-stdin or not, a new PIN is typed twice without echo.
            PinSource::Stdin | PinSource::Prompt => {
                if !std::io::stdin().is_terminal() {
                    return Err(CliError::usage(
                        "a new PIN is needed: run in a terminal, or pipe it with --pin-stdin",
                    ));
                }
                let typed = super::secret_input::read_hidden_confirmed(
                    &format!("New PIN for {}", target.describe()),
                    &self.cancel,
                )?;
                Pin::new(typed).map_err(|e| CliError::usage(e.to_string()))
            }
        }
    }

    /// Asks a yes/no question at the terminal; without a terminal only `--yes` consents.
    pub fn confirm(&self, question: &str, yes: bool) -> Result<(), CliError> {
        self.confirm_because(
            question,
            "this changes the key: confirm with --yes when not answering at a terminal",
            yes,
        )
    }

    /// Like `confirm`, with `refusal` as the error when no terminal can answer.
    pub fn confirm_because(
        &self,
        question: &str,
        refusal: &str,
        yes: bool,
    ) -> Result<(), CliError> {
        if yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() || matches!(self.pin_source, PinSource::Stdin) {
            return Err(CliError::usage(refusal));
        }
        if super::question::ask_yes_no(question, &self.cancel)? {
            Ok(())
        } else {
            Err(CliError::usage("cancelled; nothing was changed"))
        }
    }

    /// The PIN of a command that uses one key, or none (`virtual create`).
    pub fn pin(&mut self, retries_left: Option<u8>) -> Result<Pin, CliError> {
        let target = PinTarget::default();
        self.pin_for(&target, &PinRun::single(&target), retries_left)
    }

    /// The PIN for `key`, the one key of this command (`label` when the inventory names it),
    /// with the key it is for: errors of the PIN steps name it (`PinTarget::name_in`).
    pub fn key_pin(
        &mut self,
        key: &mut Key,
        label: Option<&str>,
    ) -> Result<(Pin, PinTarget), CliError> {
        let retries = key.session.pin_retries()?;
        let target = PinTarget::of(key, label)?;
        let pin = self.pin_for(&target, &PinRun::single(&target), Some(retries.retries))?;
        Ok((pin, target))
    }

    /// A PIN token for `key` under every PIN rule, the PIN asked for as `key_pin` does; an error
    /// names the key.
    pub fn key_pin_token(
        &mut self,
        key: &mut Key,
        label: Option<&str>,
        purpose: TokenPurpose,
        rp_id: Option<&str>,
    ) -> Result<PinToken, CliError> {
        let (pin, target) = self.key_pin(key, label)?;
        key.session
            .pin_token(&pin, purpose, rp_id, self.global.force)
            .map_err(|e| target.name_in(e))
    }

    /// The PIN for `target`, one of the keys of `run`: from the stdin line that names it (an
    /// unnamed line only when it is the one key needing a PIN), or typed at a prompt that
    /// names the key and shows the retries left. A PIN is never taken from another key's line.
    pub fn pin_for(
        &mut self,
        target: &PinTarget,
        run: &PinRun,
        retries_left: Option<u8>,
    ) -> Result<Pin, CliError> {
        let who = target.describe();
        match self.pin_source.clone() {
            PinSource::Given(p) => Ok(p),
            // At a terminal, --pin-stdin still reads without echo, one line per key.
            PinSource::Stdin if std::io::stdin().is_terminal() => {
                let typed = read_hidden(&format!("PIN line for {who} (not echoed)"), &self.cancel)?;
                // The prompt names the key, so a bare PIN typed there is that key's.
                PinLines::new(Box::new(std::io::Cursor::new(typed)))
                    .take(target, &PinRun::single(target))
            }
            PinSource::Stdin => self
                .stdin
                .get_or_insert_with(|| {
                    PinLines::new(Box::new(super::secret_input::SecretStdin::new()))
                })
                .take(target, run),
            PinSource::Prompt => {
                if !std::io::stdin().is_terminal() {
                    return Err(CliError::usage("this command needs the key's PIN: run it in a terminal, or pipe the PIN with --pin-stdin"));
                }
                if let Some(r) = retries_left {
                    eprintln!("PIN attempts left before the key locks: {r} of 8.");
                }
                let typed = read_hidden(&format!("PIN for {who}"), &self.cancel)?;
                Pin::new(typed).map_err(|e| CliError::usage(e.to_string()))
            }
        }
    }
}

pub fn io_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        // The reader went away (e.g. `| head`): nothing more to say.
        CliError {
            code: 0,
            message: String::new(),
        }
    } else {
        CliError {
            code: super::error::EXIT_WRITE,
            message: format!(
                "cannot write output: {e}; nothing more was written. Free space or write elsewhere"
            ),
        }
    }
}

fn print_trace(direction: TraceDirection, report: &Report, redacted: bool) {
    let arrow = match direction {
        TraceDirection::Sent => "->",
        TraceDirection::Received => "<-",
    };
    // Channel, command and length (plus, on an initialization packet, the CTAP command byte,
    // which is not secret) stay visible; the rest of a PIN message does not.
    let header = if report[4] & 0x80 != 0 { 8 } else { 5 };
    if redacted {
        eprintln!(
            "{arrow} {} [PIN material redacted]",
            hex::encode(&report[..header])
        );
    } else {
        eprintln!("{arrow} {}", hex::encode(report));
    }
}

/// Asks every key to blink and wait for a touch; the first one touched is used.
fn select_by_touch(keys: Vec<DeviceSpec>, options: &OpenOptions) -> Result<Key, CliError> {
    eprintln!(
        "{} keys are plugged in: touch the one you mean.",
        keys.len()
    );
    let chosen: Arc<Mutex<Option<Key>>> = Arc::new(Mutex::new(None));
    let done = Arc::new(AtomicBool::new(false));
    std::thread::scope(|s| {
        for spec in &keys {
            let chosen = Arc::clone(&chosen);
            let done = Arc::clone(&done);
            let key_options = OpenOptions {
                timeout: options.timeout,
                cancel: Arc::clone(&done),
                trace: None,
                on_keepalive: None,
            };
            s.spawn(move || {
                let Ok(mut key) = Key::open(spec, &key_options) else {
                    return;
                };
                if key.session.selection().is_ok() && !done.swap(true, Ordering::SeqCst) {
                    if let Ok(mut slot) = chosen.lock() {
                        *slot = Some(key);
                    }
                }
            });
        }
    });
    let key = chosen.lock().ok().and_then(|mut c| c.take());
    let mut key = key.ok_or_else(|| {
        CliError::device(
            "no key was touched in time: rerun and touch the key you mean, or pass --device",
        )
    })?;
    // The race used a shared flag to stop the losers; the winner gets the real one back.
    key.session
        .hid()
        .set_cancel_flag(Arc::clone(&options.cancel));
    key.session
        .hid()
        .set_keepalive_hook(options.on_keepalive.as_ref().map(|make| make()));
    Ok(key)
}
