"""model_signing.hashing over libmodelseal: hashing.Config with use_file_serialization,
use_shard_serialization, set_ignored_paths, add_ignored_paths, set_allow_symlinks and hash();
hashing.hash()."""
import json
import os

import modelseal
from modelseal import _core
from modelseal._core import ffi, lib

from .manifest import Manifest

__all__ = ["Config", "hash", "PathLike"]

PathLike = (str, bytes, os.PathLike)

_ALGORITHMS = {"sha256": "sha256", "blake2": "blake2b", "blake2b": "blake2b"}


def hash(model_path):  # noqa: A001 - model_signing's name
    """Hash a model with the default configuration; returns a Manifest."""
    return Config().hash(model_path)


class Config:
    """How a model is hashed: files (default) or shards, sha256 (default) or blake2, the
    paths left out and whether symbolic links are followed. Methods return the Config."""

    def __init__(self):
        self._method = "files"
        self._algorithm = "sha256"
        self._shard_size = modelseal.DEFAULT_SHARD_SIZE
        self._allow_symlinks = False
        self._ignored_paths = ()
        self._ignore_git_paths = True
        self._max_workers = None

    def _set(self, method, hashing_algorithm, shard_size, max_workers, allow_symlinks):
        if hashing_algorithm not in _ALGORITHMS:
            raise ValueError("Unsupported hashing method %s" % hashing_algorithm)
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError("max_workers: expected a positive count")
        self._method = method
        self._algorithm = _ALGORITHMS[hashing_algorithm]
        self._shard_size = shard_size
        self._max_workers = max_workers
        self._allow_symlinks = bool(allow_symlinks)
        return self

    def use_file_serialization(self, *, hashing_algorithm="sha256", chunk_size=1048576,
                               max_workers=None, allow_symlinks=False, ignore_paths=frozenset()):
        """Hash one digest per file. chunk_size is accepted for compatibility (libmodelseal
        picks its own buffer size)."""
        self._set("files", hashing_algorithm, modelseal.DEFAULT_SHARD_SIZE, max_workers,
                  allow_symlinks)
        if ignore_paths:
            self._ignored_paths = tuple(ignore_paths)
        return self

    def use_shard_serialization(self, *, hashing_algorithm="sha256", chunk_size=1048576,
                                shard_size=1_000_000_000, max_workers=None,
                                allow_symlinks=False):
        """Hash one digest per shard_size bytes of each file."""
        return self._set("shards", hashing_algorithm, shard_size, max_workers, allow_symlinks)

    def set_ignored_paths(self, *, paths, ignore_git_paths=True):
        """Leave `paths` (relative to the model directory, or absolute inside it) out of the
        hash; ignore_git_paths=False hashes .git, .github, .gitattributes and .gitignore too."""
        self._ignored_paths = tuple(paths)
        self._ignore_git_paths = bool(ignore_git_paths)
        return self

    def add_ignored_paths(self, *, model_path, paths):
        """Leave more paths out: each relative to the model directory `model_path`; a path
        that leads outside it is dropped."""
        root = os.path.abspath(os.fsdecode(model_path))
        more = []
        for p in paths:
            full = os.path.normpath(os.path.join(root, os.fsdecode(p)))
            if full == root or not full.startswith(root + os.sep):
                continue
            more.append(os.path.relpath(full, root))
        self._ignored_paths = tuple(self._ignored_paths) + tuple(more)

    def set_allow_symlinks(self, allow_symlinks):
        """Follow symbolic links to files inside the model (they are refused otherwise)."""
        self._allow_symlinks = bool(allow_symlinks)
        return self

    def _ignores_for(self, model_path):
        """The ignored paths that lie inside the model (model_signing drops the rest)."""
        out = []
        for p in self._ignored_paths:
            p = os.fsdecode(p)
            full = p if os.path.isabs(p) else os.path.join(os.fsdecode(model_path), p)
            if os.path.lexists(full) or not os.path.isabs(p):
                out.append(full if os.path.isabs(p) else p)
        return out

    def hash(self, model_path):
        """Hash the model at `model_path`; returns a Manifest."""
        m = modelseal._manifest(model_path, self._method, self._algorithm, self._shard_size,
                                self._ignores_for(model_path), self._allow_symlinks,
                                self._max_workers, None,
                                ignore_git_paths=self._ignore_git_paths)
        try:
            ser = json.loads(_core.take_text(lib.ms_serialization_json(
                ffi.addressof(m, "serialization"))))
            resources = {}
            for i in range(m.n_resources):
                r = m.resources[i]
                resources[ffi.string(r.name).decode("utf-8", "surrogateescape")] = \
                    bytes(ffi.unpack(r.digest, r.digest_len)).hex()
            return Manifest(_core.cstr(m.model_name), ser, resources,
                            _core.root_text(m.root_digest))
        finally:
            lib.ms_manifest_free(m)
