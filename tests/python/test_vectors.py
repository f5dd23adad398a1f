"""model_signing's released signatures (v0.3.1 ... v1.1.0: ECDSA key, certificate, Sigstore
keyless) and the OMS v1.0 spec vectors, through modelseal.verify and through the
modelseal.compat.model_signing layer; and the compat layer against bundles our CLI made."""
import glob
import os

import pytest

import modelseal
from conftest import REL_KEYS, VECTORS, cli, make_model
from modelseal.compat import model_signing

PUB = os.path.join(REL_KEYS, "signing-key-pub.pem")
CA = os.path.join(REL_KEYS, "ca-cert.pem")
ROOT = os.path.join(VECTORS, "sigstore", "sigstore.trusted_root.json")
ID, ISS = "stefanb@us.ibm.com", "https://sigstore.verify.ibm.com/oauth2"
SPEC = os.path.join(VECTORS, "oms", "spec-v1.0", "test-vectors", "v1.0")
VERSIONS = ["v0.3.1", "v1.0.0", "v1.0.1", "v1.1.0"]


def model_of(d):
    """(model, signature, extra ignores) of a release directory (see tests/cli/test_vectors.sh:
    v0.3.1 and v1.0.0 signed the single file signme-1; v1.0.1 did not record ignore-me)."""
    d = str(d)
    model = d if os.path.exists(os.path.join(d, "signme-2")) else os.path.join(d, "signme-1")
    ignore = ["ignore-me"] if "v1.0.1-" in d else []
    return model, os.path.join(d, "model.sig"), ignore


TRUST = {"elliptic-key": dict(key=PUB), "certificate": dict(certificate_chain=[CA]),
         "sigstore": dict(identity=ID, issuer=ISS, trusted_root=ROOT)}


@pytest.mark.parametrize("kind", sorted(TRUST))
@pytest.mark.parametrize("version", VERSIONS)
def test_release_vectors_verify(releases, version, kind):
    model, sig, ignore = model_of(releases / ("%s-%s" % (version, kind)))
    r = modelseal.verify(model, signature=sig, ignore=ignore, **TRUST[kind])
    assert r.verified and r.signer.kind == {"elliptic-key": "key"}.get(kind, kind)
    if kind == "sigstore":
        assert r.signer.identity == ID and r.signer.issuer == ISS and r.signer.signing_time
    victim = "signme-2" if os.path.isdir(model) else "signme-1"
    with open(os.path.join(os.path.dirname(sig), victim), "ab") as f:
        f.write(b"tampered")
    with pytest.raises(modelseal.VerificationError) as ei:
        modelseal.verify(model, signature=sig, ignore=ignore, **TRUST[kind])
    assert ei.value.result.changed == [victim]


def test_v101_needs_its_ignore_and_v020_verifies(releases):
    model, sig, _ = model_of(releases / "v1.0.1-elliptic-key")
    with pytest.raises(modelseal.VerificationError) as ei:
        modelseal.verify(model, key=PUB)
    assert ei.value.result.extra == ["ignore-me"]
    # model_signing 0.2's bundles (Digests/v0.1 predicate) are read, as OMS v1.0 §11.2 allows.
    assert modelseal.verify(str(releases / "v0.2.0-certificate"), certificate_chain=[CA])


def test_spec_vectors(releases):
    model = str(releases / "v1.1.0-elliptic-key")
    assert modelseal.verify(model, key=PUB, signature=os.path.join(SPEC, "valid",
                                                                    "key.bundle.json"))
    assert modelseal.verify(model, certificate_chain=[CA],
                            signature=os.path.join(SPEC, "valid", "certificate.bundle.json"))
    bad = sorted(glob.glob(os.path.join(SPEC, "invalid", "*.bundle.json")) +
                 glob.glob(os.path.join(SPEC, "invalid-payload", "*.bundle.json")))
    assert len(bad) >= 5
    for b in bad:
        trust = dict(certificate_chain=[CA]) if "cert" in os.path.basename(b) else dict(key=PUB)
        with pytest.raises((modelseal.VerificationError, modelseal.InputError)):
            modelseal.verify(model, signature=b, **trust)
        rc = cli("verify", *(["--certificate-chain", CA] if "certificate_chain" in trust
                             else ["--key", PUB]), "--signature", b, model, check=False)[0]
        assert rc in (1, 2)


# ---- the model_signing compat layer --------------------------------------------------------


def verifier(kind):
    c = model_signing.verifying.Config()
    if kind == "elliptic-key":
        return c.use_elliptic_key_verifier(public_key=PUB)
    return c.use_certificate_verifier(certificate_chain=[CA])


@pytest.mark.parametrize("kind", ["elliptic-key", "certificate"])
@pytest.mark.parametrize("version", VERSIONS)
def test_compat_verifies_the_release_vectors(releases, version, kind):
    model, sig, ignore = model_of(releases / ("%s-%s" % (version, kind)))
    c = verifier(kind)
    if ignore:
        c.set_hashing_config(model_signing.hashing.Config().set_ignored_paths(paths=ignore))
    c.verify(model, sig)
    with open(os.path.join(model, "signme-1") if os.path.isdir(model) else model, "ab") as f:
        f.write(b"x")
    with pytest.raises(ValueError, match="Signature mismatch"):
        c.verify(model, sig)


def test_compat_sigstore_verifier(releases, tmp_path, monkeypatch):
    d = tmp_path / "roots"
    d.mkdir()
    (d / "trusted_root.json").write_bytes(open(ROOT, "rb").read())
    monkeypatch.setenv("MODELSEAL_SIGSTORE_DIR", str(d))
    model, sig, _ = model_of(releases / "v1.1.0-sigstore")
    c = model_signing.verifying.Config().use_sigstore_verifier(identity=ID, oidc_issuer=ISS)
    c.verify(model, sig)
    bad = model_signing.verifying.Config().use_sigstore_verifier(identity="x@example.com",
                                                                oidc_issuer=ISS)
    with pytest.raises(ValueError):
        bad.verify(model, sig)


def test_compat_round_trip_and_our_cli(tmp_path, keys):
    sk, pk = keys["p256"]
    m = make_model(tmp_path / "m", {"a.bin": os.urandom(5000), "README.md": b"readme",
                                    "d/b.bin": b"b"})
    sig = str(tmp_path / "m.sig")
    hc = model_signing.hashing.Config().use_shard_serialization(shard_size=1024) \
        .set_ignored_paths(paths=["README.md"])
    model_signing.signing.Config().use_elliptic_key_signer(private_key=sk) \
        .set_hashing_config(hc).sign(m, sig)
    # our CLI verifies what the compat layer signed (it records README.md as ignored)
    assert cli("verify", "--key", pk, "--signature", sig, m)[0] == 0
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pk).verify(m, sig)
    # a hashing config other than the signature's cannot match
    with pytest.raises(ValueError, match="Signature mismatch"):
        model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pk) \
            .set_hashing_config(model_signing.hashing.Config()).verify(m, sig)
    # the compat layer verifies what our CLI signed, and catches a change
    m2 = make_model(tmp_path / "m2")
    cli("sign", "--key", sk, m2)
    v = model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pk)
    v.verify(m2, os.path.join(m2, "model.sig"))
    os.remove(os.path.join(m2, "config.json"))
    with pytest.raises(model_signing.SignatureMismatch) as ei:
        v.verify(m2, os.path.join(m2, "model.sig"))
    assert isinstance(ei.value, ValueError) and ei.value.result.missing == ["config.json"]
    with pytest.raises(ValueError, match="no configured verifier"):
        model_signing.verifying.Config().verify(m2, os.path.join(m2, "model.sig"))


def test_compat_certificate_signer_and_hash(tmp_path):
    m = make_model(tmp_path / "m")
    sig = str(tmp_path / "m.sig")
    model_signing.signing.Config().use_certificate_signer(
        private_key=os.path.join(REL_KEYS, "signing-key.pem"),
        signing_certificate=os.path.join(REL_KEYS, "signing-key-cert.pem"),
        certificate_chain=[os.path.join(REL_KEYS, "int-ca-cert.pem")]).sign(m, sig)
    model_signing.verifying.Config().use_certificate_verifier(certificate_chain=[CA]).verify(
        m, sig)
    assert cli("verify", "--certificate-chain", CA, "--signature", sig, m)[0] == 0
    man = model_signing.hashing.hash(m)
    assert man.digest == cli("digest", m)[1].strip()
    assert sorted(man.resources) == ["config.json", "sub/tokenizer.txt", "weights.bin"]
    assert man.serialization_type["method"] == "files"
    assert man == model_signing.hashing.Config().hash(m)
    with pytest.raises(NotImplementedError):
        model_signing.signing.Config().sign(m, sig)
    with pytest.raises(ValueError):
        model_signing.hashing.Config().use_file_serialization(hashing_algorithm="md5")


def test_compat_symlinks_and_added_ignores(tmp_path, keys):
    sk, pk = keys["a"]
    m = make_model(tmp_path / "m", {"w.bin": b"weights", "notes.txt": b"n"})
    os.symlink("w.bin", os.path.join(m, "alias.bin"))
    sig = str(tmp_path / "m.sig")
    signer = model_signing.signing.Config().use_elliptic_key_signer(private_key=sk)
    with pytest.raises(modelseal.InputError, match="alias.bin"):
        signer.sign(m, sig)  # a link is refused unless allowed
    hc = model_signing.hashing.Config().set_allow_symlinks(True)
    hc.add_ignored_paths(model_path=m, paths=["notes.txt", "../outside"])
    assert hc._ignored_paths == ("notes.txt",)
    signer.set_hashing_config(hc).sign(m, sig)
    assert cli("verify", "--key", pk, "--allow-symlinks", "--signature", sig, m)[0] == 0
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pk) \
        .set_hashing_config(hc).verify(m, sig)
    assert "alias.bin" in model_signing.hashing.Config().set_allow_symlinks(True).hash(m) \
        .resources
