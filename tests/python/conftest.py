"""Shared fixtures of the Python package's tests (run by tests/python/test_python.sh, which
installs the package into a venv with pip and sets MODELSEAL, MS_VECTORS and
MODELSEAL_SIGSTORE_DIR)."""
import json
import os
import shutil
import subprocess

import pytest

CLI = os.environ.get("MODELSEAL", "modelseal")
VECTORS = os.environ.get("MS_VECTORS", os.path.join(os.path.dirname(__file__), "..", "vectors"))
RELEASES = os.path.join(VECTORS, "oms", "model-transparency-releases")
REL_KEYS = os.path.join(RELEASES, "keys", "certificate")


def cli(*args, check=True):
    """Run the modelseal program; returns (exit status, stdout, stderr)."""
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError("modelseal %s: exit %d\n%s%s" % (" ".join(map(str, args)),
                                                             p.returncode, p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


def cli_json(*args):
    rc, out, _ = cli(*args, check=False)
    return rc, json.loads(out)


def make_model(path, files=None):
    """A small model directory: {relative path: bytes}."""
    files = files or {"weights.bin": os.urandom(70000), "config.json": b'{"layers": 2}',
                      "sub/tokenizer.txt": b"a b c\n"}
    for rel, data in files.items():
        p = os.path.join(path, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    return str(path)


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    """Key pairs made by the CLI: keys["a"] = (secret, public) paths; ed25519 and ecdsa-p256."""
    d = tmp_path_factory.mktemp("keys")
    out = {}
    for name, alg in (("a", "ed25519"), ("b", "ed25519"), ("p256", "ecdsa-p256")):
        cli("keygen", "--no-password", "--algorithm", alg, "--output", d / name)
        out[name] = (str(d / (name + ".key")), str(d / (name + ".pub")))
    return out


@pytest.fixture
def releases(tmp_path):
    """A writable copy of model_signing's release vectors."""
    dst = tmp_path / "rel"
    shutil.copytree(RELEASES, dst)
    for root, dirs, files in os.walk(dst):
        for n in dirs + files:
            os.chmod(os.path.join(root, n), 0o755 if n in dirs else 0o644)
    return dst
