//! Echo off at the PIN prompt, and back on whatever ends the prompt (hostile-4 F2, F3).
//!
//! While an `EchoOff` lives, stdin's terminal does not echo but reads whole lines, Enter ends
//! a line and Ctrl-C interrupts, whatever modes another program left behind (ICANON, ICRNL and
//! ISIG on, IGNCR and INLCR off: after `stty raw` or `stty -icrnl`, Enter sends CR and Ctrl-C
//! is a plain character, HOSTILE-7 F1c). Signal handlers keep the terminal right:
//! - every catchable signal whose default action ends the process (SIGTERM, SIGHUP, SIGQUIT,
//!   SIGUSR1, SIGALRM, SIGXCPU, the real-time signals, ...: see `fatal_signals`) puts the saved
//!   modes back, then dies of the same signal with its default action (exit status
//!   128 + signal, as before);
//! - SIGTSTP (Ctrl-Z) puts the saved modes back so the shell gets an echoing terminal, then
//!   stops the process (with SIGSTOP, so no handler needs re-installing mid-stop);
//! - SIGCONT (`fg`) turns echo off again: a shell such as bash hands a resumed job its own,
//!   echoing, modes, so without this the PIN typed after `fg` would be shown.
//!
//! The handlers only call async-signal-safe functions (tcsetattr, tcgetpgrp, getpgrp, raise,
//! kill). A signal whose disposition is not the default (ignored under `nohup`, or SIGTSTP
//! ignored by a shell without job control) is left alone. The previous dispositions come back
//! when the prompt ends.
//!
//! What remains: bash gives the terminal (with echo on) to the resumed job just before it sends
//! SIGCONT, so a key pressed in that instant, before the handler has run (well under a
//! millisecond on an idle machine), is echoed. `reassert` (called by the prompt every 100 ms)
//! also catches anyone else turning echo back on while the prompt waits, within that time.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::CliError;

/// The saved and the quiet modes, read by the signal handlers while `ACTIVE`.
struct Modes {
    saved: UnsafeCell<MaybeUninit<libc::termios>>,
    quiet: UnsafeCell<MaybeUninit<libc::termios>>,
}

// SAFETY: written only by `EchoOff::new` while no prompt is up (`CLAIMED` makes that
// exclusive) and before `ACTIVE` is set; read only while `ACTIVE` (or by the prompt's own thread).
unsafe impl Sync for Modes {}

static MODES: Modes = Modes {
    saved: UnsafeCell::new(MaybeUninit::uninit()),
    quiet: UnsafeCell::new(MaybeUninit::uninit()),
};
/// A prompt owns `MODES` (one prompt at a time in a process).
static CLAIMED: AtomicBool = AtomicBool::new(false);
/// The handlers may use `MODES`: echo is meant to be off.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The signals whose default action ends the process and that a handler can catch, less
/// three: SIGINT is Ctrl-C, which cancels the prompt through the cancel flag (main.rs);
/// SIGPIPE is ignored by the Rust runtime from the start, so it never ends glasskey; SIGSEGV
/// and SIGBUS belong to the runtime's stack-overflow report (and a handler is only put where
/// the disposition is the default anyway). The fault signals (SIGILL, SIGFPE, SIGTRAP, SIGSYS)
/// and SIGABRT (a panic inside a panic aborts) are in: restoring the modes and re-raising is
/// right for them too.
fn fatal_signals() -> impl Iterator<Item = libc::c_int> {
    [
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGVTALRM,
        libc::SIGPROF,
        libc::SIGXCPU,
        libc::SIGXFSZ,
        libc::SIGIO,
        libc::SIGPWR,
        libc::SIGSTKFLT,
        libc::SIGSYS,
        libc::SIGTRAP,
        libc::SIGABRT,
        libc::SIGILL,
        libc::SIGFPE,
    ]
    .into_iter()
    .chain(libc::SIGRTMIN()..=libc::SIGRTMAX())
}

/// Echo is off while this lives; dropping it puts the terminal back as it was, on every path
/// out of the prompt (a PIN, an error, Ctrl-C, a panic unwinding) and the signals above.
pub struct EchoOff {
    /// Discard unread input when restoring: the rest of an over-long line must not reach the
    /// shell, which would echo it and run it as a command.
    pub discard_input: bool,
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl EchoOff {
    pub fn new() -> Result<Self, CliError> {
        if CLAIMED.swap(true, Ordering::SeqCst) {
            return Err(CliError::usage(
                "could not read the PIN: another prompt is already open",
            ));
        }
        let mut saved = MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the termios it is given when it returns 0.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, saved.as_mut_ptr()) } != 0 {
            CLAIMED.store(false, Ordering::SeqCst);
            return Err(CliError::usage(format!(
                "could not read the PIN: stdin is not a terminal ({})",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: initialised by the successful tcgetattr above.
        let saved = unsafe { saved.assume_init() };
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHOE | libc::ECHOK);
        // The Enter that ends the PIN still moves to the next line, and Ctrl-C still
        // interrupts.
        quiet.c_lflag |= libc::ECHONL | libc::ICANON | libc::ISIG;
        // Enter (CR) ends the line: without ICRNL a no-echo prompt would ignore it, and the
        // PIN retyped after it would join the first in one line.
        quiet.c_iflag |= libc::ICRNL;
        quiet.c_iflag &= !(libc::IGNCR | libc::INLCR);
        // SAFETY: no handler reads MODES yet (ACTIVE is false) and CLAIMED makes this the only
        // writer.
        unsafe {
            (*MODES.saved.get()).write(saved);
            (*MODES.quiet.get()).write(quiet);
        }
        // SAFETY: a valid termios for stdin.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) } != 0 {
            CLAIMED.store(false, Ordering::SeqCst);
            return Err(CliError::usage(format!(
                "could not turn off echo: {}",
                std::io::Error::last_os_error()
            )));
        }
        ACTIVE.store(true, Ordering::SeqCst);
        Ok(Self {
            discard_input: false,
            previous: install_handlers(),
        })
    }

    /// Turns echo off again if something turned it back on (called by the prompt on every
    /// wake): a stop and continue the SIGCONT handler missed, or another program's `stty`.
    pub fn reassert(&self) {
        apply_quiet_if_echoing();
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // Handlers that still run see ACTIVE false and leave the modes alone; one that read
        // it true just before re-checks after writing (see `apply_quiet_if_echoing`).
        ACTIVE.store(false, Ordering::SeqCst);
        let how = if self.discard_input {
            libc::TCSAFLUSH
        } else {
            libc::TCSANOW
        };
        // SAFETY: MODES.saved was written in `new`, and only this prompt writes it.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, how, (*MODES.saved.get()).as_ptr());
        }
        for (signal, action) in &self.previous {
            // SAFETY: restores a disposition sigaction returned for this signal.
            unsafe {
                libc::sigaction(*signal, action, std::ptr::null_mut());
            }
        }
        CLAIMED.store(false, Ordering::SeqCst);
    }
}

/// Installs the handlers for the signals whose disposition is the default; returns what to put
/// back.
fn install_handlers() -> Vec<(libc::c_int, libc::sigaction)> {
    let mut previous = Vec::new();
    type Handler = extern "C" fn(libc::c_int);
    // (signal, handler, whether the handler ends the process)
    let fatal = fatal_signals().map(|s| (s, on_fatal as Handler, true));
    let job_control = [
        (libc::SIGTSTP, on_stop as Handler, false),
        (libc::SIGCONT, on_continue as Handler, false),
    ];
    for (signal, handler, ends) in fatal.chain(job_control) {
        // SAFETY: sigaction with a null new action only reads the current one into `old`.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        if unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) } != 0
            || old.sa_sigaction != libc::SIG_DFL
        {
            continue;
        }
        // SAFETY: a zeroed sigaction is a valid starting point; the handler is an
        // `extern "C" fn(c_int)` that only makes async-signal-safe calls.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = handler as usize;
        // SA_RESETHAND: a fatal signal raised again from its handler takes the default action.
        action.sa_flags = libc::SA_RESTART | if ends { libc::SA_RESETHAND } else { 0 };
        // SAFETY: `action` is fully initialised; `old` receives the disposition to restore.
        if unsafe { libc::sigaction(signal, &action, &mut old) } == 0 {
            previous.push((signal, old));
        }
    }
    previous
}

/// True when this process group owns the terminal: writing modes from the background would
/// stop the process (SIGTTOU), and a background job cannot read the PIN anyway.
fn in_foreground() -> bool {
    // SAFETY: tcgetpgrp and getpgrp are async-signal-safe and take no pointers.
    unsafe { libc::tcgetpgrp(libc::STDIN_FILENO) == libc::getpgrp() }
}

fn restore_saved() {
    if ACTIVE.load(Ordering::SeqCst) && in_foreground() {
        // SAFETY: MODES is initialised while ACTIVE; tcsetattr is async-signal-safe.
        unsafe {
            libc::tcsetattr(
                libc::STDIN_FILENO,
                libc::TCSANOW,
                (*MODES.saved.get()).as_ptr(),
            );
        }
    }
}

fn apply_quiet_if_echoing() {
    if !ACTIVE.load(Ordering::SeqCst) || !in_foreground() {
        return;
    }
    // SAFETY: MODES is initialised while ACTIVE; tcgetattr/tcsetattr are async-signal-safe.
    unsafe {
        let mut now: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(libc::STDIN_FILENO, &mut now) == 0 && now.c_lflag & libc::ECHO == 0 {
            return;
        }
        libc::tcsetattr(
            libc::STDIN_FILENO,
            libc::TCSANOW,
            (*MODES.quiet.get()).as_ptr(),
        );
        // The prompt may have ended (and restored the terminal) while we wrote: put its
        // modes back, so the last write is always the right one.
        if !ACTIVE.load(Ordering::SeqCst) {
            libc::tcsetattr(
                libc::STDIN_FILENO,
                libc::TCSANOW,
                (*MODES.saved.get()).as_ptr(),
            );
        }
    }
}

extern "C" fn on_fatal(signal: libc::c_int) {
    restore_saved();
    // SA_RESETHAND made the disposition the default; the signal stays blocked until this
    // handler returns, then ends the process as it would have.
    // SAFETY: raise is async-signal-safe.
    unsafe {
        libc::raise(signal);
    }
}

extern "C" fn on_stop(_: libc::c_int) {
    let errno = std::io::Error::last_os_error().raw_os_error();
    restore_saved();
    // SAFETY: kill and getpid are async-signal-safe. SIGSTOP cannot be caught, so the process
    // stops here; SIGCONT then runs `on_continue`.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGSTOP);
    }
    apply_quiet_if_echoing();
    restore_errno(errno);
}

extern "C" fn on_continue(_: libc::c_int) {
    let errno = std::io::Error::last_os_error().raw_os_error();
    apply_quiet_if_echoing();
    restore_errno(errno);
}

/// A handler must not change errno under the code it interrupted.
fn restore_errno(errno: Option<i32>) {
    if let Some(e) = errno {
        // SAFETY: __errno_location returns this thread's errno.
        unsafe {
            *libc::__errno_location() = e;
        }
    }
}
