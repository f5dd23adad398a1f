"""model_signing.signing over libmodelseal: signing.Config with use_elliptic_key_signer,
use_certificate_signer, set_hashing_config and sign(); signing.sign()."""
import modelseal

from . import hashing

__all__ = ["Config", "sign"]


def sign(model_path, signature_path):
    """model_signing signs with Sigstore by default, which libmodelseal's binding does not do
    (NotImplementedError): use Config().use_elliptic_key_signer(...).sign(...)."""
    Config().sign(model_path, signature_path)


class Config:
    """How a model is signed: a key (use_elliptic_key_signer) or a key and its certificate
    (use_certificate_signer), with a hashing.Config. Methods return the Config."""

    def __init__(self):
        self._hashing_config = hashing.Config()
        self._signer = None

    def set_hashing_config(self, hashing_config):
        """Hash with `hashing_config` (a hashing.Config)."""
        self._hashing_config = hashing_config
        return self

    def use_elliptic_key_signer(self, *, private_key, password=None):
        """Sign with `private_key`: a path to a PEM key, or the PEM bytes; `password` for an
        encrypted key."""
        self._signer = dict(key=private_key, passphrase=password)
        return self

    def use_certificate_signer(self, *, private_key, signing_certificate, certificate_chain=()):
        """Sign with `private_key` and put its `signing_certificate` and the intermediates
        `certificate_chain` in the bundle."""
        self._signer = dict(key=private_key, certificate=signing_certificate,
                            certificate_chain=list(certificate_chain))
        return self

    def use_sigstore_signer(self, **kwargs):
        raise NotImplementedError("Sigstore keyless signing: use the modelseal CLI "
                                  "(modelseal sign --sigstore)")

    def use_pkcs11_signer(self, **kwargs):
        raise NotImplementedError("PKCS #11 keys are not supported by libmodelseal")

    def use_pkcs11_certificate_signer(self, **kwargs):
        raise NotImplementedError("PKCS #11 keys are not supported by libmodelseal")

    def sign(self, model_path, signature_path):
        """Hash the model at `model_path` and write its signature to `signature_path`."""
        if self._signer is None:
            self.use_sigstore_signer()
        h = self._hashing_config
        modelseal.sign(model_path, signature=signature_path, method=h._method,
                       algorithm=h._algorithm, shard_size=h._shard_size,
                       ignore=h._ignores_for(model_path), allow_symlinks=h._allow_symlinks,
                       threads=h._max_workers, ignore_git_paths=h._ignore_git_paths,
                       **self._signer)
