#!/usr/bin/python3
"""Verify a modelseal bundle without modelseal: an independent check for the interop tests.

Usage: dsse_verify.py [--any-predicate] BUNDLE PUBLIC_KEY.pem

The DSSE signature is checked twice over a PAE built here: once through securesystemslib's
signer API (SSlibKey.verify_signature, which uses PyNaCl for Ed25519 and its own ECDSA scheme
table), once with `cryptography` directly. The in-toto statement is checked against the OMS
rules: one subject whose sha256 is SHA-256 over the concatenated raw resource digests, the
model_signing v1.0 predicate, and a publicKey.hint equal to SHA-256 of the PEM file's bytes.

With --any-predicate the statement may carry any predicate (dataset manifests, SLSA
provenance): then only its _type and its single subject with a 64-hex sha256 are checked.

Exit status: 0 all checks hold, 1 a check failed, 2 usage error, 77 securesystemslib missing.
Run with /usr/bin/python3 (Debian's interpreter, which has both libraries).
"""

import base64
import binascii
import hashlib
import json
import sys

try:
    from securesystemslib.signer import Signature, SSlibKey
    from securesystemslib import exceptions as sslib_exceptions
except ImportError as e:  # the shell test skips on this
    print(f"dsse_verify.py: securesystemslib unavailable: {e}", file=sys.stderr)
    sys.exit(77)

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"

# curve name -> (securesystemslib scheme, hash the curve signs with)
CURVES = {
    "secp256r1": ("ecdsa-sha2-nistp256", hashes.SHA256),
    "secp384r1": ("ecdsa-sha2-nistp384", hashes.SHA384),
}


class CheckFailed(Exception):
    pass


def require(cond, message):
    if not cond:
        raise CheckFailed(message)


def b64decode_strict(text, field):
    require(isinstance(text, str), f"{field}: not a string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise CheckFailed(f"{field}: bad base64: {e}") from e


def pae(payload_type, payload):
    """DSSE v1 pre-authentication encoding, byte lengths in ASCII decimal."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def sslib_key_for(public_key, pem_text, keyid):
    """The securesystemslib key metadata for a public key."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return SSlibKey(keyid, "ed25519", "ed25519", {"public": raw.hex()})
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        require(public_key.curve.name in CURVES, f"no securesystemslib scheme for {public_key.curve.name}")
        scheme = CURVES[public_key.curve.name][0]
        return SSlibKey(keyid, "ecdsa", scheme, {"public": pem_text})
    raise CheckFailed(f"unsupported public key type {type(public_key).__name__}")


def verify_with_sslib(public_key, pem_text, keyid, sig, data):
    key = sslib_key_for(public_key, pem_text, keyid)
    try:
        key.verify_signature(Signature(keyid, sig.hex()), data)
    except (sslib_exceptions.UnverifiedSignatureError, sslib_exceptions.VerificationError) as e:
        raise CheckFailed(f"securesystemslib: {e}") from e


def verify_with_cryptography(public_key, sig, data):
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(sig, data)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            require(public_key.curve.name in CURVES, f"unsupported curve {public_key.curve.name}")
            public_key.verify(sig, data, ec.ECDSA(CURVES[public_key.curve.name][1]()))
        else:
            raise CheckFailed(f"unsupported public key type {type(public_key).__name__}")
    except InvalidSignature as e:
        raise CheckFailed("cryptography: the signature does not verify") from e


def check_statement(statement):
    require(isinstance(statement, dict), "payload: not a JSON object")
    require(statement.get("_type") == STATEMENT_TYPE, f"_type is {statement.get('_type')!r}")
    require(
        statement.get("predicateType") == PREDICATE_TYPE,
        f"predicateType is {statement.get('predicateType')!r}",
    )
    subjects = statement.get("subject")
    require(isinstance(subjects, list) and len(subjects) == 1, "subject: not exactly one")
    subject_digest = subjects[0].get("digest", {}).get("sha256")
    require(isinstance(subject_digest, str), "subject digest.sha256 missing")
    resources = statement.get("predicate", {}).get("resources")
    require(isinstance(resources, list) and resources, "predicate.resources: missing or empty")
    root = hashlib.sha256()
    for r in resources:
        require(isinstance(r.get("name"), str), f"resource without a name: {r!r}")
        try:
            root.update(bytes.fromhex(r["digest"]))
        except (KeyError, TypeError, ValueError) as e:
            raise CheckFailed(f"resource {r.get('name')}: bad digest") from e
    require(
        root.hexdigest() == subject_digest,
        f"subject sha256 {subject_digest} != SHA-256 of resource digests {root.hexdigest()}",
    )
    return len(resources)


def check_any_statement(statement):
    require(isinstance(statement, dict), "payload: not a JSON object")
    require(statement.get("_type") == STATEMENT_TYPE, f"_type is {statement.get('_type')!r}")
    require(isinstance(statement.get("predicateType"), str), "predicateType: missing")
    subjects = statement.get("subject")
    require(isinstance(subjects, list) and len(subjects) == 1, "subject: not exactly one")
    digest = subjects[0].get("digest", {}).get("sha256")
    require(
        isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest),
        "subject digest.sha256 missing or not 64 hex",
    )
    return statement["predicateType"]


def main(argv):
    any_predicate = len(argv) > 1 and argv[1] == "--any-predicate"
    if any_predicate:
        argv = argv[:1] + argv[2:]
    if len(argv) != 3:
        print("usage: dsse_verify.py [--any-predicate] BUNDLE PUBLIC_KEY.pem", file=sys.stderr)
        return 2
    bundle_path, key_path = argv[1], argv[2]
    with open(key_path, "rb") as f:
        pem_bytes = f.read()
    public_key = serialization.load_pem_public_key(pem_bytes)
    with open(bundle_path, "rb") as f:
        bundle = json.loads(f.read())

    require(bundle.get("mediaType") == BUNDLE_TYPE, f"mediaType is {bundle.get('mediaType')!r}")
    hint = bundle.get("verificationMaterial", {}).get("publicKey", {}).get("hint")
    want_hint = hashlib.sha256(pem_bytes).hexdigest()
    require(hint == want_hint, f"publicKey.hint {hint} != sha256 of {key_path} {want_hint}")

    envelope = bundle.get("dsseEnvelope")
    require(isinstance(envelope, dict), "dsseEnvelope: missing")
    require(envelope.get("payloadType") == PAYLOAD_TYPE, f"payloadType is {envelope.get('payloadType')!r}")
    payload = b64decode_strict(envelope.get("payload"), "dsseEnvelope.payload")
    signatures = envelope.get("signatures")
    require(isinstance(signatures, list) and len(signatures) == 1, "signatures: not exactly one")
    sig = b64decode_strict(signatures[0].get("sig"), "signatures[0].sig")

    # Both verifiers always run, so that a test sees each of them refuse a bad signature.
    data = pae(envelope["payloadType"], payload)
    failures = []
    for check in (
        lambda: verify_with_sslib(public_key, pem_bytes.decode("ascii"), hint, sig, data),
        lambda: verify_with_cryptography(public_key, sig, data),
    ):
        try:
            check()
        except CheckFailed as e:
            failures.append(str(e))
    require(not failures, "; ".join(failures))
    if any_predicate:
        kind = check_any_statement(json.loads(payload))
        print(f"OK: {bundle_path}: DSSE signature verified by securesystemslib and cryptography, {kind}")
        return 0
    n = check_statement(json.loads(payload))
    print(f"OK: {bundle_path}: DSSE signature verified by securesystemslib and cryptography, {n} resources")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except CheckFailed as e:
        print(f"dsse_verify.py: {sys.argv[-2]}: {e}", file=sys.stderr)
        sys.exit(1)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        print(f"dsse_verify.py: {sys.argv[-2]}: malformed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
