import modelseal


class SignatureMismatch(modelseal.VerificationError, ValueError):
    """The model is not what the signature says (model_signing raises ValueError)."""


def mismatch(e):
    """A SignatureMismatch carrying a modelseal.VerificationError's message and result."""
    return SignatureMismatch("Signature mismatch: %s" % e.message, e.code, e.result)
