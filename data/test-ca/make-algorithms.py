"""Generates glasskey's TEST attestation certificates for the algorithms beyond ES256
(algorithms/): a root, and ES384 (P-384), EdDSA (Ed25519) and RS256 (RSA-2048) attestation
leaves, so virtual keys can attest with each. TEST material only: the private keys are public
on purpose. The leaves carry no AAGUID extension (WebAuthn makes it optional), so they serve
any virtual key profile. Run here with Python's `cryptography`; the output is committed.
"""
import datetime as dt
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2076, 1, 1, tzinfo=dt.timezone.utc)


def name(cn, ou=None):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "glasskey TEST CA - not a vendor")]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def build(subject, public_key, issuer, serial, ca):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(public_key).serial_number(serial)
         .not_valid_before(START).not_valid_after(END)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None),
                        critical=True))
    flags = dict(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                 encipher_only=False, decipher_only=False)
    return b.add_extension(x509.KeyUsage(**flags), critical=True)


def pem(path, c):
    with open(path, "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))


root_key = ec.derive_private_key(2001, ec.SECP256R1())
root_name = name("glasskey TEST algorithms root")
root = build(root_name, root_key.public_key(), root_name, 1, True).sign(root_key, hashes.SHA256())
pem("algorithms/root.pem", root)
leaf_name = name("glasskey virtual key attestation", "Authenticator Attestation")

p384 = ec.derive_private_key(2002, ec.SECP384R1())
ed = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
for serial, (alg, k) in enumerate([("es384", p384), ("eddsa", ed), ("rs256", rsa_key)], 10):
    leaf = build(leaf_name, k.public_key(), root_name, serial, False).sign(root_key, hashes.SHA256())
    pem(f"algorithms/{alg}.pem", leaf)
with open("algorithms/es384-key.hex", "w") as f:
    f.write("%096x\n" % p384.private_numbers().private_value)
with open("algorithms/eddsa-key.hex", "w") as f:
    f.write(bytes(range(32)).hex() + "\n")
with open("algorithms/rs256-key.hex", "w") as f:
    # PKCS#1 RSAPrivateKey DER, hex.
    f.write(rsa_key.private_bytes(serialization.Encoding.DER,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()).hex() + "\n")
