"""model_signing.verifying over libmodelseal: verifying.Config with use_elliptic_key_verifier,
use_certificate_verifier, use_sigstore_verifier, set_hashing_config and verify()."""
import base64
import json
import os

import modelseal
from modelseal import _core

from ._errors import SignatureMismatch, mismatch

__all__ = ["Config"]


class Config:
    """How a signature is verified: a public key, a certificate chain, or a Sigstore
    identity; the hashing configuration is read from the signature unless
    set_hashing_config() gives one (which must then agree with it). Methods return the
    Config."""

    def __init__(self):
        self._hashing_config = None
        self._trust = None

    def set_hashing_config(self, hashing_config):
        """Hash with `hashing_config`: its ignored paths are left out besides the signature's
        own; its method, algorithm and shard size must be the signature's."""
        self._hashing_config = hashing_config
        return self

    def use_elliptic_key_verifier(self, *, public_key):
        """Trust the public key at `public_key` (a PEM file)."""
        self._trust = dict(key=public_key)
        return self

    def use_certificate_verifier(self, *, certificate_chain=frozenset(),
                                 log_fingerprints=False):
        """Trust signing certificates that chain to `certificate_chain` (root and intermediate
        certificates, PEM files). An empty chain (model_signing: the system's roots) is not
        supported."""
        chain = list(certificate_chain)
        if not chain:
            raise NotImplementedError("certificate_chain: give the trusted root certificates")
        self._trust = dict(certificate_chain=chain)
        return self

    def use_sigstore_verifier(self, *, identity, oidc_issuer, use_staging=False):
        """Trust a Sigstore keyless signature by `identity` from `oidc_issuer`, verified
        offline against the public-good (or, with use_staging, the staging) trusted root."""
        root = os.path.join(_core.sigstore_dir(), "staging_trusted_root.json" if use_staging
                            else "trusted_root.json")
        self._trust = dict(identity=identity, issuer=oidc_issuer, trusted_root=root)
        return self

    def verify(self, model_path, signature_path):
        """Verify the model at `model_path` against the signature at `signature_path`.
        Raises ValueError (SignatureMismatch) when they do not match, or when no verifier is
        configured."""
        if self._trust is None:
            raise ValueError("Attempting to verify with no configured verifier")
        kw = dict(self._trust)
        h = self._hashing_config
        if h is not None:
            _check_serialization(h, signature_path)
            kw.update(ignore=h._ignores_for(model_path), allow_symlinks=h._allow_symlinks,
                      threads=h._max_workers)
        try:
            modelseal.verify(model_path, signature=signature_path, **kw)
        except modelseal.VerificationError as e:
            raise mismatch(e) from None


def _check_serialization(h, signature_path):
    """A hashing config that differs from the signature's serialization cannot match."""
    try:
        bundle = json.loads(_core.read_signature(os.fsencode(os.fspath(signature_path))))
        payload = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
        ser = payload["predicate"]["serialization"]
    except (ValueError, KeyError, TypeError):
        return  # malformed: modelseal.verify names what is wrong
    if not isinstance(ser, dict):
        return
    want = {"files": "files", "shards": "shards"}.get(ser.get("method"))
    if want != h._method or ser.get("hash_type") != h._algorithm or (
            want == "shards" and ser.get("shard_size") != h._shard_size):
        raise SignatureMismatch(
            "Signature mismatch: %s: signed with %s/%s, the hashing config is %s/%s" % (
                os.fsdecode(signature_path), ser.get("method"), ser.get("hash_type"),
                h._method, h._algorithm))
