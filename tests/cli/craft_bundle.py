"""Test helper: sign an arbitrary in-toto statement into a Sigstore bundle with an Ed25519 or
ECDSA PKCS#8 key, independently of modelseal, so tests can feed the verifier hostile but
validly signed content.

usage: craft_bundle.py KEY.pem STATEMENT.json OUT.sig   (run with /usr/bin/python3)
"""
import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def main() -> None:
    key_path, statement_path, out_path = sys.argv[1:4]
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
    payload = open(statement_path, "rb").read()
    message = pae(PAYLOAD_TYPE, payload)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(message)
    else:
        algorithm = {256: hashes.SHA256(), 384: hashes.SHA384(), 521: hashes.SHA512()}[key.curve.key_size]
        sig = key.sign(message, ec.ECDSA(algorithm))
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": hashlib.sha256(pem).hexdigest()}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": ""}],
        },
    }
    with open(out_path, "w") as f:
        json.dump(bundle, f)


if __name__ == "__main__":
    main()
