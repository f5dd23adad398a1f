"""model_signing 1.x's public API (signing.Config, verifying.Config, hashing.Config) backed by
libmodelseal, so that a model_signing user switches by changing one import:

    from modelseal.compat import model_signing
    model_signing.signing.Config().use_elliptic_key_signer(private_key="key.pem").sign(
        "model", "model.sig")
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key="key.pub").verify(
        "model", "model.sig")

Signatures are OMS Sigstore bundles, read and written as model_signing does. A model that
does not match its signature raises ValueError (as model_signing does), here
modelseal.compat.model_signing.SignatureMismatch, which is also a modelseal.VerificationError.
Not provided: Sigstore keyless signing, PKCS #11 and KMS signers (NotImplementedError).
"""
from . import hashing, manifest, signing, verifying
from ._errors import SignatureMismatch

__all__ = ["hashing", "manifest", "signing", "verifying", "SignatureMismatch"]
