//! Driving the glasskey binary in tests: the command itself, virtual keys (with a PIN,
//! passkeys, attestation mode, faults), an inventory, and reading findings out of JSON.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// Contains characters that never occur in hex, so a leak cannot hide in a digest.
pub const PIN: &str = "Kq7!mZ2p";
pub const BG1: &str = "bg-01@contoso.onmicrosoft.com";
pub const BG2: &str = "bg-02@contoso.onmicrosoft.com";
pub const TENANT: &str = "contoso.onmicrosoft.com";
/// The instant most tests enroll and audit at (`--now`).
pub const T0: &str = "2026-11-25T10:00:00Z";

/// Hooks that make the binary misbehave on purpose; never inherited from the test's
/// environment.
const TEST_HOOKS: [&str; 3] = [
    "GLASSKEY_VIRTUAL_KEYS",
    "GLASSKEY_TEST_ABORT_AT",
    "GLASSKEY_TEST_FAIL_AT",
];

thread_local! {
    /// libtest runs each test on a thread of its own: one data directory per test, removed
    /// when the test's thread ends.
    static DATA_DIR: tempfile::TempDir = tempfile::Builder::new()
        .prefix("glasskey-test-data-")
        .tempdir()
        .unwrap();
}

/// This test's data directory (GLASSKEY_DATA_DIR of every binary it spawns), never the
/// user's ~/.local/share/glasskey: a BLOB the user imported must not change a result.
pub fn data_dir() -> PathBuf {
    DATA_DIR.with(|d| d.path().to_path_buf())
}

/// Gives a command (the binary, or a wrapper such as `script` that runs it) the test
/// environment: no test hook set, and this test's data directory.
pub fn isolate(c: &mut std::process::Command) -> &mut std::process::Command {
    for hook in TEST_HOOKS {
        c.env_remove(hook);
    }
    c.env("GLASSKEY_DATA_DIR", data_dir())
}

/// The binary as std::process::Command (for tests that drive a child by hand), with the same
/// environment as [`glasskey`].
pub fn std_command() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("glasskey"));
    isolate(&mut c);
    c
}

/// Starts `command` (from [`std_command`], perhaps with its own environment) as
/// `pin verify --device DEVICE --pin-stdin EXTRA…` with `pin` on stdin and its output piped.
pub fn spawn_pin_verify(
    mut command: std::process::Command,
    device: &str,
    extra: &[&str],
    pin: &str,
) -> std::process::Child {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .args(["pin", "verify", "--device", device, "--pin-stdin"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{pin}\n").as_bytes())
        .unwrap();
    child
}

/// Presses Ctrl-C (SIGINT) on `child` after `after`; its output and how long it took to end
/// once signalled.
pub fn ctrl_c_after(
    child: std::process::Child,
    after: std::time::Duration,
) -> (std::process::Output, std::time::Duration) {
    std::thread::sleep(after);
    let signalled = std::time::Instant::now();
    // SAFETY: signals our own child.
    unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    (out, signalled.elapsed())
}

/// The binary, with no test hook set and a generous kill timeout (a hung run fails the test
/// instead of hanging the suite).
pub fn glasskey() -> Command {
    let mut c = Command::from_std(std_command());
    c.timeout(std::time::Duration::from_secs(120));
    c
}

/// One line on stdin holding the PIN.
pub fn pin_line() -> String {
    format!("{PIN}\n")
}

pub fn run(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut c = glasskey();
    c.args(args);
    if let Some(s) = stdin {
        c.write_stdin(s.to_owned());
    }
    c.output().unwrap()
}

/// Runs and asserts success; returns stdout.
pub fn ok(args: &[&str], stdin: Option<&str>) -> String {
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

/// The `--device` argument for a virtual key file.
pub fn dev(path: &Path) -> String {
    format!("virtual:{}", path.display())
}

/// A virtual key to create with `glasskey virtual create`; by default the default profile,
/// a random serial, self attestation and the PIN set to [`PIN`].
pub struct NewKey {
    path: PathBuf,
    profile: Option<String>,
    serial: Option<u32>,
    attestation: Option<String>,
    pin: Option<String>,
}

pub fn virtual_key(dir: &Path, name: &str) -> NewKey {
    NewKey {
        path: dir.join(name),
        profile: None,
        serial: None,
        attestation: None,
        pin: Some(PIN.to_owned()),
    }
}

impl NewKey {
    pub fn profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.into());
        self
    }
    pub fn serial(mut self, serial: u32) -> Self {
        self.serial = Some(serial);
        self
    }
    pub fn attestation(mut self, mode: &str) -> Self {
        self.attestation = Some(mode.into());
        self
    }
    /// The PIN to set, or None for a key without one.
    pub fn pin(mut self, pin: Option<&str>) -> Self {
        self.pin = pin.map(str::to_owned);
        self
    }
    /// Creates the key file and returns its path.
    pub fn create(self) -> PathBuf {
        let mut c = glasskey();
        c.args(["virtual", "create"]).arg(&self.path);
        if let Some(profile) = &self.profile {
            c.args(["--profile", profile]);
        }
        if let Some(serial) = self.serial {
            c.args(["--serial", &serial.to_string()]);
        }
        if let Some(mode) = &self.attestation {
            c.args(["--attestation", mode]);
        }
        if let Some(pin) = &self.pin {
            c.arg("--pin-stdin").write_stdin(format!("{pin}\n"));
        }
        c.assert().success();
        self.path
    }
}

/// Registers a passkey for `upn` at `rp` on a virtual key, as a browser would.
pub fn register(key: &Path, rp: &str, upn: &str) {
    ok(
        &[
            "virtual",
            "register",
            p(key),
            "--rp",
            rp,
            "--user",
            upn,
            "--pin-stdin",
        ],
        Some(&pin_line()),
    );
}

/// Enrolls the virtual key `key` into `inv` as `label` for `account`, custodian "C", stored at
/// `location`, at [`T0`] with [`PIN`]; asserts it succeeded.
pub fn enroll_virtual(inv: &Path, key: &Path, label: &str, account: &str, location: &str) {
    enrollment(inv, &dev(key), label, account, location).ok();
}

/// An `enroll` run of `device` (a `--device` argument) into `inv` as `label` for `account`,
/// stored at `location`; by default at [`T0`], custodian "C", [`PIN`] on stdin.
pub struct Enrollment<'a> {
    inv: &'a Path,
    device: String,
    label: &'a str,
    account: &'a str,
    location: &'a str,
    custodian: &'a str,
    pin: Option<&'a str>,
    extra: Vec<&'a str>,
}

pub fn enrollment<'a>(
    inv: &'a Path,
    device: &str,
    label: &'a str,
    account: &'a str,
    location: &'a str,
) -> Enrollment<'a> {
    Enrollment {
        inv,
        device: device.to_owned(),
        label,
        account,
        location,
        custodian: "C",
        pin: Some(PIN),
        extra: Vec::new(),
    }
}

impl<'a> Enrollment<'a> {
    pub fn custodian(mut self, custodian: &'a str) -> Self {
        self.custodian = custodian;
        self
    }
    /// The PIN given on stdin (`--pin-stdin`), or None to give none.
    pub fn pin(mut self, pin: Option<&'a str>) -> Self {
        self.pin = pin;
        self
    }
    /// More `enroll` arguments (e.g. `--yes`).
    pub fn args(mut self, extra: &[&'a str]) -> Self {
        self.extra.extend_from_slice(extra);
        self
    }
    /// Runs it, whatever the outcome.
    pub fn output(self) -> std::process::Output {
        let mut c = glasskey();
        c.args(["--device", &self.device, "--now", T0, "enroll"])
            .args(["--inventory", p(self.inv), "--label", self.label])
            .args(["--account", self.account, "--custodian", self.custodian])
            .args(["--location", self.location])
            .args(&self.extra);
        if let Some(pin) = self.pin {
            c.arg("--pin-stdin").write_stdin(format!("{pin}\n"));
        }
        c.output().unwrap()
    }
    /// Runs it and asserts it succeeded.
    pub fn ok(self) {
        let out = self.output();
        assert!(
            out.status.success(),
            "enroll: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The JSON state of a virtual key (or any JSON file).
pub fn state(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn edit_json(path: &Path, f: impl FnOnce(&mut Value)) {
    let mut v = state(path);
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// Sets a virtual key's fault knobs (src/virtual_key/faults.rs).
pub fn set_faults(key: &Path, faults: Value) {
    edit_json(key, |state| state["faults"] = faults);
}

/// `inventory init` of `file` for [`TENANT`], admitting software keys, with `extra` arguments
/// (accounts, minimum keys).
pub fn init_inventory(file: &Path, extra: &[&str]) {
    let mut args = vec![
        "inventory",
        "init",
        "--allow-software-keys",
        p(file),
        "--tenant",
        TENANT,
    ];
    args.extend_from_slice(extra);
    ok(&args, None);
}

/// The rule IDs of a JSON report's findings.
pub fn rules(v: &Value) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts the report has exactly one kind of finding: `rule`.
pub fn only(v: &Value, rule: &str) {
    assert_eq!(
        rules(v),
        BTreeSet::from([rule.to_owned()]),
        "{}",
        serde_json::to_string_pretty(&v["findings"]).unwrap()
    );
}

/// A `glasskey virtual serve` child on a free loopback port; killed when dropped.
pub struct Server {
    child: std::process::Child,
    /// The `--device` argument that reaches it (`udp:127.0.0.1:PORT`).
    pub device: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves the virtual key `key` over UDP and waits until it listens.
pub fn serve(key: &Path) -> Server {
    let mut child = std_command()
        .args(["virtual", "serve"])
        .arg(key)
        .args(["--udp", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stderr.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .split("on udp:")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap()
        .to_owned();
    Server {
        child,
        device: format!("udp:{addr}"),
    }
}
