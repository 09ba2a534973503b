#!/usr/bin/env python3
"""Builds fuzz/corpus/: real-key captures from tests/vectors, plus the traffic of glasskey's own
sessions with a virtual key, recorded from its -v trace (both directions, reassembled).
Run from the repository root after `cargo build --release`:  python3 fuzz/make-seeds.py"""
import hashlib, os, pathlib, re, subprocess, tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
BIN = ROOT / "target" / "release" / "glasskey"
PIN = "Kq7!mZ2p\n"
REPLY_TARGETS = ["get_info", "client_pin", "credential_management", "make_credential", "get_assertion", "cbor"]

def save(target, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)

def messages(reports):
    """Reassembles 64-byte reports into (cmd, payload) messages."""
    out, cur = [], None
    for r in reports:
        if r[4] & 0x80:
            n = int.from_bytes(r[5:7], "big")
            cur = [r[4] & 0x7F, n, bytearray(r[7:7 + min(n, 57)])]
        elif cur is not None:
            cur[2] += r[5:5 + min(59, cur[1] - len(cur[2]))]
        if cur is not None and len(cur[2]) >= cur[1]:
            out.append((cur[0], bytes(cur[2])))
            cur = None
    return out

# 1. Captures from real keys.
for f in sorted((ROOT / "tests" / "vectors").glob("*.hex")):
    reports = [bytes.fromhex(l.strip()) for l in f.read_text().splitlines() if l.strip()]
    save("ctaphid_channel", b"".join(reports))
    for cmd, payload in messages(reports):
        if cmd == 0x10:
            for t in REPLY_TARGETS:
                save(t, payload)

# 2. Traffic of real glasskey sessions with virtual keys.
def run(args, stdin=None):
    p = subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True)
    return p.stderr

with tempfile.TemporaryDirectory() as tmp:
    key = os.path.join(tmp, "k.json")
    inv = os.path.join(tmp, "bg.toml")
    run(["virtual", "create", key, "--pin-stdin", "--serial", "31337001"], PIN)
    trace = ""
    dev = ["--device", "virtual:" + key, "-v"]
    trace += run([*dev, "virtual", "register", key, "--user", "bg-01@contoso.onmicrosoft.com", "--pin-stdin"], PIN)
    trace += run([*dev, "info"])
    trace += run([*dev, "creds", "--pin-stdin"], PIN)
    run(["inventory", "init", inv, "--tenant", "contoso.onmicrosoft.com", "--account", "bg-01@contoso.onmicrosoft.com", "--min-keys", "1"])
    trace += run([*dev, "enroll", "--inventory", inv, "--label", "BG01-A", "--account", "bg-01@contoso.onmicrosoft.com", "--custodian", "C", "--location", "L"])
    trace += run([*dev, "audit", "--inventory", inv, "--pin-stdin"], PIN)
    sent, received = [], []
    for line in trace.splitlines():
        m = re.match(r"^(->|<-) ([0-9a-f]{128})$", line)
        if m:
            (sent if m.group(1) == "->" else received).append(bytes.fromhex(m.group(2)))
    save("ctaphid_channel", b"".join(received))
    for cmd, payload in messages(received):
        if cmd == 0x10:
            for t in REPLY_TARGETS:
                save(t, payload)
        elif cmd == 0x42:
            save("yubico_config", payload)
    for cmd, payload in messages(sent):
        if cmd == 0x10:
            save("virtual_key_request", payload)
    save("inventory", pathlib.Path(inv).read_bytes())
save("inventory", (ROOT / "tests" / "fixtures" / "sheets.toml").read_bytes())
for t in sorted(os.listdir(CORPUS)):
    print(t, len(os.listdir(CORPUS / t)))
