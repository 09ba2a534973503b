//! Thin entry point: parse, run, map the outcome to an exit code (DESIGN §10).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;

fn main() {
    let cli = glasskey::cli::args::Cli::parse();
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
