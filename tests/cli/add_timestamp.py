"""Test helper: an RFC 3161 timestamp for a key-signed bundle, independent of modelseal.

Makes a test timestamp authority (a CA and a leaf with the critical timeStamping usage, with
Python's cryptography), has `openssl ts -reply` timestamp the bundle's DSSE signature as a
Sigstore client's TSA would, and writes the bundle with that timestamp in
verificationMaterial.timestampVerificationData.rfc3161Timestamps, and a copy of a trusted root
whose timestamp authorities are replaced by the test one. Log entries are left as they are.

usage: add_timestamp.py BUNDLE TRUSTED_ROOT OUT_BUNDLE OUT_ROOT   (run with /usr/bin/python3)
"""
import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TSA_CONFIG = """\
[tsa]
default_tsa = tsa_config
[tsa_config]
serial = {dir}/serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.2
digests = sha256
ess_cert_id_alg = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
"""


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(subject, issuer, key, sign_key, now, ca):
    b = (
        x509.CertificateBuilder()
        .subject_name(name(subject)).issuer_name(name(issuer)).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=2)).not_valid_after(now + datetime.timedelta(days=365))
    )
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
    return b.sign(sign_key, hashes.SHA256())


def pem(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    bundle_path, root_path, out_bundle, out_root = sys.argv[1:5]
    bundle = json.load(open(bundle_path))
    root = json.load(open(root_path))
    sig = base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"])
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert("modelseal test TSA root", "modelseal test TSA root", ca_key, ca_key, now, True)
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa_cert = cert("modelseal test TSA", "modelseal test TSA root", tsa_key, ca_key, now, False)
    with tempfile.TemporaryDirectory() as d:
        pem(f"{d}/ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM))
        pem(f"{d}/tsa.pem", tsa_cert.public_bytes(serialization.Encoding.PEM))
        pem(f"{d}/tsa.key", tsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
        pem(f"{d}/sig.bin", sig)
        pem(f"{d}/serial", b"01\n")
        pem(f"{d}/ts.cnf", TSA_CONFIG.format(dir=d).encode())
        env = dict(os.environ, OPENSSL_CONF=f"{d}/ts.cnf")
        subprocess.run(["openssl", "ts", "-query", "-data", f"{d}/sig.bin", "-sha256", "-cert",
                        "-no_nonce", "-out", f"{d}/q.tsq"], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["openssl", "ts", "-reply", "-config", f"{d}/ts.cnf", "-queryfile", f"{d}/q.tsq",
                        "-signer", f"{d}/tsa.pem", "-inkey", f"{d}/tsa.key", "-chain", f"{d}/ca.pem",
                        "-out", f"{d}/r.tsr"], check=True, env=env, stderr=subprocess.DEVNULL)
        response = open(f"{d}/r.tsr", "rb").read()
    der = serialization.Encoding.DER
    bundle["verificationMaterial"]["timestampVerificationData"] = {
        "rfc3161Timestamps": [{"signedTimestamp": base64.b64encode(response).decode()}]}
    root["timestampAuthorities"] = [{
        "subject": {"organization": "modelseal test", "commonName": "modelseal test TSA"},
        "uri": "https://tsa.test.invalid",
        "certChain": {"certificates": [{"rawBytes": base64.b64encode(c.public_bytes(der)).decode()}
                                       for c in (tsa_cert, ca_cert)]},
        "validFor": {"start": (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    }]
    json.dump(bundle, open(out_bundle, "w"))
    json.dump(root, open(out_root, "w"), indent=2)


if __name__ == "__main__":
    main()
