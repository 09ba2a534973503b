"""Generates glasskey's TEST attestation certificates for the algorithms beyond ES256
(algorithms/): a P-256 root with ES384 (P-384), EdDSA (Ed25519) and RS256 (RSA-2048)
attestation leaves; a P-521 root whose ecdsa-with-SHA512 signature makes the ES512 (P-521)
leaf; an RSA root whose RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) signature makes the PS256
(RSA-2048) leaf. So virtual keys can attest with each, through chains signed with ES512 and
PS256 too. TEST material only: the private keys are public on purpose. The leaves carry no
AAGUID extension (WebAuthn makes it optional), so they serve any virtual key profile. Run here
with Python's `cryptography`; the output is committed. A file that exists is kept (the RSA keys
are random), so a rerun only adds what is missing.
"""
import os
import datetime as dt
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

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
    if os.path.exists(path):
        return
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


def key_hex(path, text):
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(text + "\n")


def rsa_hex(k):
    """PKCS#1 RSAPrivateKey DER, hex."""
    return k.private_bytes(serialization.Encoding.DER,
                           serialization.PrivateFormat.TraditionalOpenSSL,
                           serialization.NoEncryption()).hex()


key_hex("algorithms/es384-key.hex", "%096x" % p384.private_numbers().private_value)
key_hex("algorithms/eddsa-key.hex", bytes(range(32)).hex())
key_hex("algorithms/rs256-key.hex", rsa_hex(rsa_key))

# ES512: a P-521 root signing with ecdsa-with-SHA512, and a P-521 leaf.
p521_root_key = ec.derive_private_key(2003, ec.SECP521R1())
p521_root_name = name("glasskey TEST P-521 root")
pem("algorithms/p521-root.pem",
    build(p521_root_name, p521_root_key.public_key(), p521_root_name, 2, True)
    .sign(p521_root_key, hashes.SHA512()))
p521 = ec.derive_private_key(2004, ec.SECP521R1())
pem("algorithms/es512.pem",
    build(leaf_name, p521.public_key(), p521_root_name, 20, False)
    .sign(p521_root_key, hashes.SHA512()))
key_hex("algorithms/es512-key.hex", "%0132x" % p521.private_numbers().private_value)

# PS256: an RSA root signing with RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32), and an RSA leaf.
pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
pss_root_path, pss_root_key_path = "algorithms/pss-root.pem", "algorithms/pss-root-key.hex"
if os.path.exists(pss_root_key_path):
    pss_root_key = serialization.load_der_private_key(
        bytes.fromhex(open(pss_root_key_path).read().strip()), None)
else:
    pss_root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_hex(pss_root_key_path, rsa_hex(pss_root_key))
pss_root_name = name("glasskey TEST RSASSA-PSS root")
pem(pss_root_path,
    build(pss_root_name, pss_root_key.public_key(), pss_root_name, 3, True)
    .sign(pss_root_key, hashes.SHA256(), rsa_padding=pss))
ps256_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
if not os.path.exists("algorithms/ps256.pem"):
    pem("algorithms/ps256.pem",
        build(leaf_name, ps256_key.public_key(), pss_root_name, 30, False)
        .sign(pss_root_key, hashes.SHA256(), rsa_padding=pss))
    key_hex("algorithms/ps256-key.hex", rsa_hex(ps256_key))
