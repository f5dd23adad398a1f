"""Test helper: a one-shot Rekor v1 log for key-signed bundles, independent of modelseal.

Logs the DSSE envelope of a key-signed bundle (modelseal sign --key) as a `dsse` 0.0.1 entry
in a fresh test log (ECDSA P-256 key made here), with everything an offline verifier checks:
the canonicalized body, an RFC 6962 inclusion proof in a tree of several leaves, a checkpoint
(signed note) and a signed entry timestamp. Writes the bundle with that entry added, and a
copy of a trusted root whose transparency logs are replaced by the test log.

usage: add_log_entry.py BUNDLE PUBLIC_KEY.pem TRUSTED_ROOT OUT_BUNDLE OUT_ROOT INTEGRATED_TIME
       (run with /usr/bin/python3)
"""
import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

LOG_URL = "https://rekor.test.invalid"
LOG_NAME = "rekor.test.invalid"  # the checkpoint signer: the URL without its scheme
TREE_SIZE = 7
INDEX = 5  # our entry's position among the leaves


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (RFC 6962, section 2.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tree_hash(leaves: list) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(tree_hash(leaves[:k]), tree_hash(leaves[k:]))


def audit_path(m: int, leaves: list) -> list:
    """The inclusion proof of leaf m, from the leaf up (RFC 6962, section 2.1.1)."""
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return audit_path(m, leaves[:k]) + [tree_hash(leaves[k:])]
    return audit_path(m - k, leaves[k:]) + [tree_hash(leaves[:k])]


def main() -> None:
    bundle_path, pub_path, root_path, out_bundle, out_root, itime = sys.argv[1:7]
    itime = int(itime)
    bundle = json.load(open(bundle_path))
    env = bundle["dsseEnvelope"]
    pem = open(pub_path, "rb").read()

    log_key = ec.generate_private_key(ec.SECP256R1())
    spki = log_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    log_id = hashlib.sha256(spki).digest()

    def sign(data: bytes) -> bytes:
        return log_key.sign(data, ec.ECDSA(hashes.SHA256()))

    # The entry Rekor v1 records for a DSSE envelope with one signature and its verifier.
    payload = base64.b64decode(env["payload"])
    body = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(json.dumps(env, separators=(",", ":")).encode()).hexdigest(),
            },
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [{"signature": env["signatures"][0]["sig"], "verifier": b64(pem)}],
        },
    }
    body_bytes = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    # Other entries around ours, so that the proof has a real audit path.
    leaves = [leaf_hash(b"other entry %d" % i) for i in range(TREE_SIZE)]
    leaves[INDEX] = leaf_hash(body_bytes)
    root = tree_hash(leaves)
    proof = audit_path(INDEX, leaves)

    note = "%s - 1\n%d\n%s\n" % (LOG_NAME, TREE_SIZE, b64(root))
    checkpoint = note + "\n\u2014 %s %s\n" % (LOG_NAME, b64(log_id[:4] + sign(note.encode())))
    set_payload = json.dumps(
        {"body": b64(body_bytes), "integratedTime": itime, "logID": log_id.hex(), "logIndex": INDEX},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()

    bundle["verificationMaterial"]["tlogEntries"] = [
        {
            "logIndex": str(INDEX),
            "logId": {"keyId": b64(log_id)},
            "kindVersion": {"kind": "dsse", "version": "0.0.1"},
            "integratedTime": str(itime),
            "inclusionPromise": {"signedEntryTimestamp": b64(sign(set_payload))},
            "inclusionProof": {
                "logIndex": str(INDEX),
                "rootHash": b64(root),
                "treeSize": str(TREE_SIZE),
                "hashes": [b64(h) for h in proof],
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": b64(body_bytes),
        }
    ]
    with open(out_bundle, "w") as f:
        json.dump(bundle, f)

    trusted = json.load(open(root_path))
    trusted["tlogs"] = [
        {
            "baseUrl": LOG_URL,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64(spki),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            },
            "logId": {"keyId": b64(log_id)},
        }
    ]
    with open(out_root, "w") as f:
        json.dump(trusted, f, indent=2)


if __name__ == "__main__":
    main()
