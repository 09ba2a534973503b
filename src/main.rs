//! Thin entry point: parse, run, map the outcome to an exit code (DESIGN §10).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::io::Write;

use clap::Parser;

/// Exit code for output that could not be written (README, "Exit codes").
const WRITE_FAILED: i32 = 4;

fn main() {
    let cli = match glasskey::cli::args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => std::process::exit(parse_outcome(&e)),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    // First Ctrl-C: tell the key to stop waiting (CTAPHID CANCEL) and unwind cleanly.
    // Second Ctrl-C: leave at once.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let code = match glasskey::cli::run(cli, cancel) {
        Ok(()) => 0,
        Err(e) => {
            if !e.message.is_empty() {
                // Messages can quote a key's or an inventory's strings (DESIGN §3.8).
                eprintln!("glasskey: {}", glasskey::untrusted::visible(&e.message));
            }
            e.code
        }
    };
    std::process::exit(code);
}

/// Help and version text go to stdout and exit 0, unless they cannot be written (a full disk, a
/// closed pipe): then exit 4 with the reason, as for any report. Usage errors exit 2.
fn parse_outcome(e: &clap::Error) -> i32 {
    let printed = e.print().and_then(|()| std::io::stdout().flush());
    match (e.use_stderr(), printed) {
        (true, _) => e.exit_code(),
        (false, Ok(())) => 0,
        // The reader went away (e.g. `| head`): as for any other output.
        (false, Err(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => 0,
        (false, Err(err)) => {
            eprintln!("glasskey: cannot write the help text: {err}");
            WRITE_FAILED
        }
    }
}
