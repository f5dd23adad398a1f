"""A model's chain (signature, provenance, two datasets, the training code, a base model)
verified by verify_chain() and by `modelseal verify --policy --json`, which must agree verdict
for verdict, passing and failing; load_verified; sbom() against `modelseal sbom`; and a chain
made with the Python API (dataset.manifest/sign, attest.provenance) that the CLI accepts."""
import json
import os
import subprocess

import pytest

import modelseal
from conftest import cli, cli_json, make_model


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    t = tmp_path_factory.mktemp("chain")
    os.environ.update(GIT_CONFIG_NOSYSTEM="1", HOME=str(t))
    for k in ("release", "ci", "data", "vendor"):
        cli("keygen", "--no-password", "--output", t / k)
    r = t / "train"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    git(r, "config", "user.name", "T")
    git(r, "config", "user.email", "t@example.com")
    (r / "train.py").write_text("print('train')\n")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "first")
    git(r, "remote", "add", "origin", "https://github.com/acme/train.git")
    make_model(t / "pets", {"cat/1.txt": b"meow", "dog/1.txt": b"woof"})
    make_model(t / "birds", {"1.txt": b"tweet"})
    for name in ("pets", "birds"):
        cli("dataset", "manifest", "--name", name, "--output", t / (name + ".dsm.jsonl.zst"),
            t / name)
        cli("dataset", "sign", "--key", t / "data.key", t / (name + ".dsm.jsonl.zst"))
    make_model(t / "base", {"w.bin": b"base weights"})
    cli("sign", "--key", t / "vendor.key", t / "base")
    m = make_model(t / "model")
    cli("sign", "--key", t / "release.key", m)
    cli("attest", "provenance", "--key", t / "ci.key", "--builder-id",
        "https://ci.example.com/gpu", "--param", "epochs=3", "--git-repo", r,
        "--dataset", t / "pets.dsm.jsonl.zst", "--dataset", t / "birds.dsm.jsonl.zst",
        "--base-model", t / "base", m)
    policy = {
        "version": 1,
        "keys": {k: {"public_key": str(t / (k + ".pub"))}
                 for k in ("release", "ci", "data", "vendor")},
        "model": {"signers": ["release"]},
        "provenance": {"signers": ["ci"], "builder_ids": ["https://ci.example.com/gpu"]},
        "datasets": {"signers": ["data"], "required": ["pets", "birds"],
                     "data": {"pets": {"manifest": str(t / "pets.dsm.jsonl.zst"),
                                       "path": str(t / "pets")}}},
        "code": {"uris": ["git+https://github.com/acme/train.git"], "refs": ["refs/heads/main"],
                 "repository": str(r)},
        "base_model": {"required": True, "signers": ["vendor"]},
    }
    p = t / "policy.json"
    p.write_text(json.dumps(policy))
    return t, m, str(p), policy


def test_verify_chain_equals_the_cli_json(chain):
    t, m, p, policy = chain
    r = modelseal.verify_chain(m, p)
    rc, j = cli_json("verify", "--policy", p, "--json", m)
    assert rc == 0 and r.verified and r.to_dict() == j
    assert [(l.link, l.name, l.ok) for l in r.links] == [
        ("policy", None, True), ("model", None, True), ("provenance", None, True),
        ("dataset", "pets", True), ("dataset", "birds", True), ("code", None, True),
        ("base-model", "base", True)]
    assert r.digest == modelseal.digest(m)
    # the policy as a dict gives the same verdicts (the policy link names it "policy")
    d = modelseal.verify_chain(m, policy).to_dict()
    assert d["links"][0]["reason"] == "policy: valid, no expiry date"
    assert d["links"][1:] == j["links"][1:] and d["model"] == j["model"]
    assert modelseal.load_verified(m, p) == m


def test_a_failing_chain_equals_the_cli_json(chain, tmp_path):
    t, m, p, _ = chain
    pets = t / "pets" / "cat" / "1.txt"
    old = pets.read_bytes()
    pets.write_bytes(b"purr")
    try:
        with pytest.raises(modelseal.VerificationError) as ei:
            modelseal.verify_chain(m, p)
        rc, j = cli_json("verify", "--policy", p, "--json", m)
        r = ei.value.result
        assert rc == 1 and not r.verified and r.to_dict() == j
        assert [l.link for l in r.links if not l.ok] == ["dataset"] and r.failed == 1
        with pytest.raises(modelseal.VerificationError):
            modelseal.load_verified(m, p)
    finally:
        pets.write_bytes(old)
    # an unreadable policy is input (exit 2), as for the CLI
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 2}')
    with pytest.raises(modelseal.InputError) as ei:
        modelseal.verify_chain(m, bad)
    assert cli("verify", "--policy", bad, m, check=False)[0] == 2


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_sbom_equals_the_cli(chain, fmt, monkeypatch):
    t, m, p, _ = chain
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    doc = modelseal.sbom(m, policy=p, format=fmt, name="acme-model", version="1.0")
    _, out, _ = cli_env({"SOURCE_DATE_EPOCH": "1700000000"}, "sbom", "--format", fmt,
                        "--policy", p, "--name", "acme-model", "--version", "1.0", m)
    assert doc == json.loads(out)
    # key mode: every key trusted for every claim
    keys = [str(t / (k + ".pub")) for k in ("release", "ci", "data", "vendor")]
    doc = modelseal.sbom(m, key=keys, format=fmt)
    _, out, _ = cli_env({"SOURCE_DATE_EPOCH": "1700000000"}, "sbom", "--format", fmt,
                        *[a for k in keys for a in ("--key", k)], m)
    assert doc == json.loads(out)
    with pytest.raises(modelseal.InputError):
        modelseal.sbom(m, policy=p, format="swid")
    with pytest.raises(modelseal.VerificationError):
        modelseal.sbom(m, key=str(t / "ci.pub"), format=fmt)  # model.sig is release's


def cli_env(env, *args):
    from conftest import CLI
    e = dict(os.environ, **env)
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, env=e,
                       stdin=subprocess.DEVNULL, check=True)
    return p.returncode, p.stdout, p.stderr


def test_a_chain_made_in_python_verifies_with_the_cli(chain, tmp_path):
    t, _, _, _ = chain
    d = make_model(tmp_path / "corpus", {"a.txt": b"alpha", "b/c.txt": b"gamma",
                                         "skip.log": b"log"})
    man = str(tmp_path / "corpus.dsm.jsonl.zst")
    info = modelseal.dataset.manifest(d, name="corpus", output=man, version="2",
                                      license="CC0-1.0", ignore=["skip.log"])
    assert (info.name, info.files, info.version, info.ignore) == ("corpus", 2, "2", ["skip.log"])
    rc, out, _ = cli("dataset", "verify", "--key", t / "data.pub", man, d, check=False)
    assert rc == 2  # not signed yet: no MANIFEST.sig
    sig = modelseal.dataset.sign(man, key=str(t / "data.key"))
    assert sig == man + ".sig"
    assert cli("dataset", "verify", "--key", t / "data.pub", man, d)[0] == 0
    res = modelseal.dataset.verify(man, d, key=str(t / "data.pub"))
    assert res.verified and res.files == 2 and res.signer.kind == "key"
    assert res.info.digest == info.digest == cli("dataset", "verify", man)[1].split("root ")[1] \
        .split()[0]

    m = make_model(tmp_path / "model")
    modelseal.sign(m, key=str(t / "release.key"))
    added = modelseal.attest.provenance(
        m, key=str(t / "ci.key"), builder_id="https://ci.example.com/gpu",
        parameters={"epochs": 3}, datasets=[man], base_models=[str(t / "base")],
        git_repo=str(t / "train"), dependencies=["pkg:pypi/torch@2.5.1"])
    assert added == 3  # the provenance, the dataset's and the base model's signatures
    policy = {"version": 1,
              "keys": {k: {"public_key": str(t / (k + ".pub"))}
                       for k in ("release", "ci", "data", "vendor")},
              "base_model": {"required": True, "signers": ["vendor"]},
              "model": {"signers": ["release"]},
              "provenance": {"signers": ["ci"], "builder_ids": ["https://ci.example.com/gpu"]},
              "datasets": {"signers": ["data"], "required": ["corpus"],
                           "data": {"corpus": {"manifest": man, "path": d}}},
              "code": {"uris": ["git+https://github.com/acme/train.git"],
                       "refs": ["refs/heads/main"]}}
    pf = tmp_path / "p.json"
    pf.write_text(json.dumps(policy))
    rc, j = cli_json("verify", "--policy", pf, "--json", m)
    assert rc == 0, j
    assert [(l["link"], l["name"]) for l in j["links"]][-1] == ("base-model", "base")
    assert modelseal.verify_chain(m, pf).to_dict() == j

    # the data changes: dataset.verify names the file, as the CLI does
    with open(os.path.join(d, "a.txt"), "w") as f:
        f.write("ALPHA")
    os.remove(os.path.join(d, "b", "c.txt"))
    with pytest.raises(modelseal.VerificationError) as ei:
        modelseal.dataset.verify(man, d, key=str(t / "data.pub"))
    assert (ei.value.result.changed, ei.value.result.missing) == (["a.txt"], ["b/c.txt"])
    rc, _, err = cli("dataset", "verify", man, d, check=False)
    assert rc == 1 and "changed: a.txt" in err and str(ei.value) in err
    # a signature by another key
    with pytest.raises(modelseal.VerificationError):
        modelseal.dataset.verify(man, key=str(t / "vendor.pub"))
    with pytest.raises(modelseal.InputError):
        modelseal.attest.provenance(str(tmp_path / "nomodel"), key=str(t / "ci.key"),
                                    builder_id="x")
    with pytest.raises(modelseal.InputError, match="no signature"):
        modelseal.attest.provenance(m, key=str(t / "ci.key"), builder_id="x",
                                    base_models=[str(tmp_path / "corpus")])
