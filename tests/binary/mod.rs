//! Running the built binary from a test: a clean environment (no virtual-key discovery hook),
//! a deadline, stdin fed as given.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

/// tests/common's binary (clean environment, this test's own data directory).
pub fn glasskey() -> Command {
    crate::common::bin::glasskey()
}

pub fn run(args: &[&str], stdin: &str) -> std::process::Output {
    glasskey()
        .args(args)
        .write_stdin(stdin.to_owned())
        .output()
        .unwrap()
}

/// Runs a command that must succeed; its stdout.
pub fn ok(args: &[&str], stdin: &str) -> String {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}
