"""modelseal's Python API on real models: digests equal to the CLI's, sign/verify round trips
both ways with the CLI, tampering, keys as files and PEM bytes, errors mapped from the library's
codes with its messages, progress, threads with the GIL released, the documented signatures."""
import inspect
import os
import pydoc
import threading

import pytest

import modelseal
from conftest import REL_KEYS, cli, cli_json, make_model


def test_version_is_the_library_version():
    assert modelseal.__version__ == modelseal.library_version()
    assert modelseal.__version__ == os.environ.get("MS_PY_EXPECT_VERSION", modelseal.__version__)


@pytest.mark.parametrize("opts,args", [
    ({}, []),
    ({"method": "shards", "shard_size": 4096}, ["--method", "shards", "--shard-size", "4096"]),
    ({"algorithm": "blake2b"}, ["--algorithm", "blake2b"]),
    ({"ignore": ["sub"]}, ["--ignore", "sub"]),
])
def test_digest_equals_the_cli(tmp_path, opts, args):
    m = make_model(tmp_path / "m")
    got = modelseal.digest(m, threads=2, **opts)
    assert got == cli("digest", *args, m)[1].strip()
    assert got.startswith("sha256:") and len(got) == 71


def test_digest_is_sha256_of_the_file_digests(tmp_path):
    # Independent check with hashlib: the root of a files manifest is SHA-256 over the raw
    # per-file SHA-256 digests in path order.
    import hashlib
    m = make_model(tmp_path / "m", {"b": b"bbb", "a": b"aa", "d/c": b"c"})
    h = hashlib.sha256()
    for rel in ("a", "b", "d/c"):
        h.update(hashlib.sha256(open(os.path.join(m, rel), "rb").read()).digest())
    assert modelseal.digest(m) == "sha256:" + h.hexdigest()


def test_sign_verify_round_trip_and_the_cli_agrees(tmp_path, keys):
    sk, pk = keys["a"]
    m = make_model(tmp_path / "m")
    s = modelseal.sign(m, key=sk)
    assert s.path == os.path.join(m, "model.sig") and os.path.isfile(s.path)
    assert s.digest == modelseal.digest(m) and s.files == 3
    r = modelseal.verify(m, key=pk)
    assert r and r.verified and r.digest == s.digest and r.files == 3
    assert r.signer.kind == "key" and r.signer.hint == s.hint
    assert (r.changed, r.missing, r.extra) == ([], [], [])
    rc, j = cli_json("verify", "--json", "--key", pk, m)
    assert rc == 0 and j["model"]["digest"] == s.digest and j["signer"]["hint"] == s.hint
    # and the other way round: the CLI signs, Python verifies
    m2 = make_model(tmp_path / "m2")
    cli("sign", "--key", keys["p256"][0], "--method", "shards", "--shard-size", "1000", m2)
    r2 = modelseal.verify(m2, key=keys["p256"][1])
    assert r2.digest == cli("digest", "--method", "shards", "--shard-size", "1000", m2)[1].strip()


def test_signature_elsewhere_and_single_file(tmp_path, keys):
    sk, pk = keys["a"]
    f = tmp_path / "model.bin"
    f.write_bytes(b"single file model")
    s = modelseal.sign(f, key=sk)
    assert s.path == str(f) + ".sig"
    assert modelseal.verify(f, key=pk).files == 1
    m = make_model(tmp_path / "m")
    out = tmp_path / "elsewhere.sig"
    modelseal.sign(m, key=sk, signature=out)
    assert not os.path.exists(os.path.join(m, "model.sig"))
    assert modelseal.verify(m, key=pk, signature=out)
    # a signature written inside the model under another name is not hashed
    inside = os.path.join(m, "sigs.json")
    modelseal.sign(m, key=sk, signature=inside)
    assert modelseal.verify(m, key=pk, signature=inside)
    assert cli("verify", "--key", pk, "--signature", inside, m)[0] == 0


def test_keys_as_pem_bytes_from_an_independent_library(tmp_path):
    # A PKCS#8 ECDSA P-256 key made by python3-cryptography, given as bytes; the CLI verifies
    # with the public key cryptography wrote.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    k = ec.generate_private_key(ec.SECP256R1())
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    pub = k.public_key().public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "k.pub").write_bytes(pub)
    m = make_model(tmp_path / "m")
    modelseal.sign(m, key=pem)
    assert cli("verify", "--key", tmp_path / "k.pub", m)[0] == 0
    assert modelseal.verify(m, key=pub)
    enc = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.BestAvailableEncryption(b"s3cret"))
    modelseal.sign(m, key=enc, passphrase="s3cret")
    modelseal.sign(m, key=enc, passphrase=lambda: b"s3cret")
    with pytest.raises(modelseal.InputError, match="wrong passphrase"):
        modelseal.sign(m, key=enc, passphrase="nope")
    with pytest.raises(modelseal.InputError, match="passphrase"):
        modelseal.sign(m, key=enc)
    with pytest.raises(modelseal.InputError, match="hashivault URIs are not supported"):
        modelseal.sign(m, key="hashivault://release")


def test_certificate_signing_verifies_with_the_root(tmp_path):
    m = make_model(tmp_path / "m")
    s = modelseal.sign(m, key=os.path.join(REL_KEYS, "signing-key.pem"),
                       certificate=os.path.join(REL_KEYS, "signing-key-cert.pem"),
                       certificate_chain=[os.path.join(REL_KEYS, "int-ca-cert.pem")])
    ca = os.path.join(REL_KEYS, "ca-cert.pem")
    r = modelseal.verify(m, certificate_chain=[ca])
    assert r.signer.kind == "certificate" and r.signer.subject
    assert cli("verify", "--certificate-chain", ca, m)[0] == 0
    with open(ca, "rb") as f:
        assert modelseal.verify(m, certificate_chain=f.read()).digest == s.digest
    with pytest.raises(modelseal.VerificationError):
        modelseal.verify(m, certificate_chain=[ca], identity="someone@else.example")


def test_tampering_names_each_file_as_the_cli_does(tmp_path, keys):
    sk, pk = keys["a"]
    m = make_model(tmp_path / "m")
    modelseal.sign(m, key=sk)
    with open(os.path.join(m, "weights.bin"), "r+b") as f:
        f.seek(100)
        f.write(b"\xff")
    os.remove(os.path.join(m, "config.json"))
    with open(os.path.join(m, "new.txt"), "w") as f:
        f.write("x")
    with pytest.raises(modelseal.VerificationError) as ei:
        modelseal.verify(m, key=pk)
    e = ei.value
    assert e.exit_status == 1 and not e.result.verified
    assert (e.result.changed, e.result.missing, e.result.extra) == \
        (["weights.bin"], ["config.json"], ["new.txt"])
    rc, j = cli_json("verify", "--json", "--key", pk, m)
    assert rc == 1 and str(e) == j["error"]["message"] and j["error"]["code"] == "not-verified"
    assert (j["changed"], j["missing"], j["extra"]) == (["weights.bin"], ["config.json"],
                                                        ["new.txt"])
    # ignore_unsigned_files: the extra file is not hashed, the rest still fails
    with pytest.raises(modelseal.VerificationError) as ei:
        modelseal.verify(m, key=pk, ignore_unsigned_files=True)
    assert ei.value.result.extra == []


def test_a_flipped_signature_byte_and_another_key(tmp_path, keys):
    sk, pk = keys["a"]
    m = make_model(tmp_path / "m")
    modelseal.sign(m, key=sk)
    with pytest.raises(modelseal.VerificationError) as ei:
        modelseal.verify(m, key=keys["b"][1])
    rc, j = cli_json("verify", "--json", "--key", keys["b"][1], m)
    assert rc == 1 and str(ei.value) == j["error"]["message"]
    assert ei.value.result.signer is None and j["signer"] is None


@pytest.mark.parametrize("case", ["no model", "malformed signature", "no signature",
                                  "bad option", "no trusted root"])
def test_error_mapping_follows_the_cli_exit_status(tmp_path, keys, case, monkeypatch):
    sk, pk = keys["a"]
    m = make_model(tmp_path / "m")
    modelseal.sign(m, key=sk)
    args = ["verify", "--key", pk, m]
    call = lambda: modelseal.verify(m, key=pk)  # noqa: E731
    if case == "no model":
        args[-1] = str(tmp_path / "absent")
        call = lambda: modelseal.verify(tmp_path / "absent", key=pk, signature=m + "/model.sig")  # noqa
        args = ["verify", "--key", pk, "--signature", m + "/model.sig", str(tmp_path / "absent")]
    elif case == "malformed signature":
        with open(os.path.join(m, "model.sig"), "w") as f:
            f.write('{"mediaType": 3}')
    elif case == "no signature":
        os.remove(os.path.join(m, "model.sig"))
    elif case == "bad option":
        call = lambda: modelseal.digest(m, method="tensors")  # noqa: E731
        args = ["digest", "--method", "tensors", m]
    elif case == "no trusted root":
        monkeypatch.setenv("MODELSEAL_SIGSTORE_DIR", str(tmp_path / "empty"))
        call = lambda: modelseal.verify(m, identity="a@b", issuer="https://x")  # noqa: E731
        args = ["verify", "--identity", "a@b", "--issuer", "https://x", m]
    rc, _, err = cli(*args, check=False)
    with pytest.raises(modelseal.Error) as ei:
        call()
    e = ei.value
    assert e.exit_status == rc, (case, rc, str(e), err)
    assert isinstance(e, {1: modelseal.VerificationError, 2: modelseal.InputError,
                          3: modelseal.ResourceError}[rc])
    if case in ("malformed signature", "no model"):
        assert str(e) in err  # the C library's message, as the CLI prints it
    if case == "malformed signature":
        assert str(e).startswith(os.path.join(m, "model.sig") + ": ")


def test_progress_reports_every_byte(tmp_path):
    m = make_model(tmp_path / "m")
    seen = []
    modelseal.digest(m, progress=lambda done, total: seen.append((done, total)))
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(m) for f in fs)
    assert seen and seen[-1] == (total, total)
    assert all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop()
    with pytest.raises(Stop):
        modelseal.digest(m, progress=stop)


def test_four_models_verify_in_threads_at_once(tmp_path, keys):
    sk, pk = keys["a"]
    models = [make_model(tmp_path / ("m%d" % i)) for i in range(4)]
    for m in models:
        modelseal.sign(m, key=sk)
    with open(os.path.join(models[2], "weights.bin"), "ab") as f:
        f.write(b"!")
    results, start = {}, threading.Barrier(4)

    def work(i):
        start.wait()
        try:
            results[i] = modelseal.verify(models[i], key=pk, threads=1)
        except modelseal.VerificationError as e:
            results[i] = e
    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert [isinstance(results[i], modelseal.VerifyResult) for i in range(4)] == \
        [True, True, False, True]
    assert results[2].result.changed == ["weights.bin"]


def test_hashing_releases_the_gil(tmp_path):
    # While one thread hashes 32 MiB in C, this thread keeps running Python: with the GIL held
    # through the call it could not count at all until the hash returned.
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "w.bin", "wb") as f:
        f.truncate(32 << 20)
    done = threading.Event()
    out = []

    def work():
        out.append(modelseal.digest(big, threads=1))
        done.set()
    t = threading.Thread(target=work)
    count = 0
    t.start()
    while not done.is_set():
        count += 1
    t.join()
    assert out and out[0] == cli("digest", big)[1].strip()
    assert count > 1000, count


def test_help_shows_the_documented_signatures():
    text = pydoc.render_doc(modelseal.verify, renderer=pydoc.plaintext)
    assert ("verify(path, *, key=None, certificate_chain=(), identity=None, issuer=None, "
            "trusted_root=None, signature=None, ignore=(), ignore_unsigned_files=False,") in text
    assert "VerificationError" in text and "changed" in text
    sig = inspect.signature(modelseal.digest)
    assert list(sig.parameters)[:4] == ["path", "method", "algorithm", "shard_size"]
    assert sig.parameters["method"].default == "files"
    assert sig.parameters["shard_size"].default == 1000000000
    assert "key" in inspect.signature(modelseal.sign).parameters
    assert str(inspect.signature(modelseal.verify_chain)).startswith("(path, policy, *,")
    for f in (modelseal.digest, modelseal.sign, modelseal.verify, modelseal.verify_chain,
              modelseal.load_verified, modelseal.sbom, modelseal.dataset.manifest,
              modelseal.dataset.sign, modelseal.dataset.verify, modelseal.attest.provenance):
        assert len(inspect.getdoc(f)) > 80, f
    stub = os.path.join(os.path.dirname(modelseal.__file__), "__init__.pyi")
    assert "def verify(path: PathLike, *, key:" in open(stub).read()


def test_ignore_paths_follow_the_cli_rule(tmp_path):
    m = make_model(tmp_path / "m")
    want = cli("digest", "--ignore", "sub", m)[1].strip()
    assert modelseal.digest(m, ignore="./sub/") == want
    assert modelseal.digest(m, ignore=[os.path.join(m, "sub")]) == want
    with pytest.raises(modelseal.InputError) as ei:
        modelseal.digest(m, ignore=["../elsewhere"])
    rc, _, err = cli("digest", "--ignore", "../elsewhere", m, check=False)
    assert rc == 2 and str(ei.value) in err


def test_shards_warn_about_empty_files(tmp_path, keys):
    m = make_model(tmp_path / "m", {"w.bin": b"w" * 3000, "__init__.py": b""})
    with pytest.warns(UserWarning, match="__init__.py"):
        modelseal.sign(m, key=keys["a"][0], method="shards", shard_size=1024)
    with pytest.raises(modelseal.VerificationError) as ei:
        modelseal.verify(m, key=keys["a"][1])
    assert ei.value.result.extra == ["__init__.py"]


def _softhsm_module():
    import glob
    found = glob.glob("/usr/lib/softhsm/libsofthsm2.so") + glob.glob(
        "/usr/lib/*/softhsm/libsofthsm2.so")
    return found[0] if found else None


@pytest.mark.skipif(_softhsm_module() is None or not __import__("shutil").which("softhsm2-util"),
                    reason="no SoftHSM2 (Debian package softhsm2; scripts/setup installs it)")
def test_sign_with_a_key_on_a_pkcs11_token(tmp_path, monkeypatch):
    """key='pkcs11:...' signs on the token (a SoftHSM2 token made here, the key pair made by
    the CLI's keygen --pkcs11); the signature verifies with the public key the token holds,
    through the API and the CLI; a wrong PIN is an InputError naming no PIN."""
    import subprocess
    mod = _softhsm_module()
    conf = tmp_path / "softhsm2.conf"
    (tmp_path / "tokens").mkdir()
    conf.write_text("directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
                    "log.level = ERROR\n" % tmp_path)
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    monkeypatch.delenv("MODELSEAL_PASSWORD", raising=False)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "py", "--pin", "1234",
                    "--so-pin", "5678"], check=True, capture_output=True)
    uri = "pkcs11:token=py;object=release?module-path=%s" % mod
    cli("keygen", "--pkcs11", uri + "&pin-value=1234", "--algorithm", "ecdsa-p256",
        "--output", str(tmp_path / "token.pub"))
    m = make_model(tmp_path / "m")
    sig = modelseal.sign(m, key=uri, passphrase="1234")
    assert modelseal.verify(m, key=str(tmp_path / "token.pub")).verified
    assert cli("verify", "--key", str(tmp_path / "token.pub"), m, check=False)[0] == 0
    assert sig is not None
    with pytest.raises(modelseal.InputError) as ei:
        modelseal.sign(m, key=uri, passphrase="9999", signature=str(tmp_path / "x.sig"))
    assert "PIN rejected by the token" in str(ei.value) and "9999" not in str(ei.value)
    assert not (tmp_path / "x.sig").exists()
    with pytest.raises(modelseal.InputError):
        modelseal.sign(m, key="awskms:///alias/x")
