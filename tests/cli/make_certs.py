"""Test helper: a small PKI made with Python's cryptography, for certificate tests.

usage: make_certs.py DIR   (run with /usr/bin/python3)
Writes DIR/{ca.pem, leaf.key, leaf.pem, expired.pem, other-ca.pem, other-leaf.pem,
other-leaf.key, issuer-leaf.pem, issuer-v1-leaf.pem}: a root CA; a P-256 leaf valid now with SAN
ml@example.com and codeSigning; a leaf for the same key that expired a year ago; a second,
unrelated CA with its own leaf; and two more leaves like the first that carry Fulcio's OIDC
issuer extension, https://issuer.example (1.3.6.1.4.1.57264.1.8, a DER UTF8String, and the
older 1.3.6.1.4.1.57264.1.1, the raw string).
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca(cn, now):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn)).issuer_name(name(cn)).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=3650)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


ISSUER = b"https://issuer.example"
ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # DER UTF8String
ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # the raw string


def leaf(ca_key, ca_cert, key, start, end, extra=None):
    b = (
        x509.CertificateBuilder()
        .subject_name(name("modelseal test signer")).issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name("ml@example.com")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
    )
    if extra:
        b = b.add_extension(x509.UnrecognizedExtension(*extra), critical=False)
    return b.sign(ca_key, hashes.SHA256())


def write_cert(path, cert):
    open(path, "wb").write(cert.public_bytes(serialization.Encoding.PEM))


def write_key(path, key):
    open(path, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))


def main():
    out = sys.argv[1]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    ca_key, ca_cert = ca("modelseal test root", now)
    key = ec.generate_private_key(ec.SECP256R1())
    write_cert(f"{out}/ca.pem", ca_cert)
    write_key(f"{out}/leaf.key", key)
    write_cert(f"{out}/leaf.pem", leaf(ca_key, ca_cert, key, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)))
    write_cert(f"{out}/expired.pem", leaf(ca_key, ca_cert, key, now - datetime.timedelta(days=730), now - datetime.timedelta(days=365)))
    other_key, other_cert = ca("another root", now)
    okey = ec.generate_private_key(ec.SECP256R1())
    write_cert(f"{out}/other-ca.pem", other_cert)
    write_key(f"{out}/other-leaf.key", okey)
    write_cert(f"{out}/other-leaf.pem", leaf(other_key, other_cert, okey, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)))
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
    utf8 = bytes([0x0C, len(ISSUER)]) + ISSUER
    write_cert(f"{out}/issuer-leaf.pem", leaf(ca_key, ca_cert, key, start, end, (ISSUER_V2, utf8)))
    write_cert(f"{out}/issuer-v1-leaf.pem", leaf(ca_key, ca_cert, key, start, end, (ISSUER_V1, ISSUER)))


if __name__ == "__main__":
    main()
