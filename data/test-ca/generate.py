#!/usr/bin/env python3
"""Regenerates glasskey's TEST attestation CA (see README.md). Not a vendor CA.

Run from this directory with Python's `cryptography`. The attestation leaf key
(attestation-key.hex) is kept; the root keys are written next to the certificates on
purpose, so the set can be regenerated when a profile's AAGUID changes.
"""
import datetime
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
FIDO_AAGUID_OID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")
NOT_BEFORE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2076, 1, 1, tzinfo=datetime.timezone.utc)
ORG = "glasskey TEST CA - not a vendor"

# Must match src/virtual_key/profile.rs.
PROFILES = {
    "yubikey-5.7": ("bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9", 0x100),
    "yubikey-5.4": ("b3f2efe5-cf71-4fba-956b-54987f8d8393", 0x101),
    "ctap21-pre": ("676b7600-0000-4000-8000-000000000021", 0x102),
    "ctap22": ("676b7600-0000-4000-8000-000000000022", 0x103),
    "no-rk": ("676b7600-0000-4000-8000-000000000020", 0x104),
}
WRONG_AAGUID = "00000000-0000-4000-8000-0000000000ff"


def name(cn, ou=None):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG)]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def key_from_hex(path):
    value = int(path.read_text().strip(), 16)
    return ec.derive_private_key(value, ec.SECP256R1())


def new_key_hex(path):
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_text("%064x\n" % key.private_numbers().private_value)
    return key


def root(cn, serial, key):
    subject = name(cn)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )


def leaf(issuer_cert, issuer_key, leaf_key, aaguid, serial):
    return (
        x509.CertificateBuilder()
        .subject_name(name("glasskey virtual key attestation", "Authenticator Attestation"))
        .issuer_name(issuer_cert.subject)
        .public_key(leaf_key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.UnrecognizedExtension(FIDO_AAGUID_OID, b"\x04\x10" + uuid.UUID(aaguid).bytes),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def write(cert, file):
    (HERE / file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def main():
    leaf_key = key_from_hex(HERE / "attestation-key.hex")
    root_key = new_key_hex(HERE / "test-root-key.hex")
    test_root = root("glasskey TEST attestation root", 0x67720001, root_key)
    write(test_root, "test-root.pem")
    for profile, (aaguid, serial) in PROFILES.items():
        write(leaf(test_root, root_key, leaf_key, aaguid, serial), f"attestation-{profile}.pem")
    write(leaf(test_root, root_key, leaf_key, WRONG_AAGUID, 0x1FF), "attestation-wrong-aaguid.pem")
    untrusted_key = new_key_hex(HERE / "untrusted-root-key.hex")
    untrusted_root = root("glasskey UNTRUSTED test root", 0x67720002, untrusted_key)
    write(leaf(untrusted_root, untrusted_key, leaf_key, PROFILES["yubikey-5.7"][0], 0x200), "attestation-untrusted.pem")


if __name__ == "__main__":
    main()
