"""Dataset manifests (modelseal-dataset(1)): a signed, streaming list of every file of a
training dataset, a zstd-compressed JSON Lines file (NAME.dsm.jsonl.zst).

    info = modelseal.dataset.manifest("data/", name="corpus", output="corpus.dsm.jsonl.zst")
    modelseal.dataset.sign("corpus.dsm.jsonl.zst", key="dataset.key")
    modelseal.dataset.verify("corpus.dsm.jsonl.zst", "data/", key="dataset.pub")
"""
import os

from . import _core
from ._core import InputError, ffi, lib

__all__ = ["DatasetInfo", "DatasetVerifyResult", "manifest", "sign", "verify", "SUFFIX"]

#: The default file name suffix of a dataset manifest.
SUFFIX = ".dsm.jsonl.zst"


class DatasetInfo:
    """A manifest's header: ``name``, ``version``, ``source``, ``license`` (None when not
    given), ``ignore`` (the paths it leaves out), ``algorithm``, ``files``, ``bytes``,
    ``digest`` (the root digest, "sha256:<hex>") and ``manifest_digest`` (SHA-256 of the
    decompressed manifest, "sha256:<hex>"; None right after writing)."""

    __slots__ = ("name", "version", "source", "license", "ignore", "algorithm", "files",
                 "bytes", "digest", "manifest_digest", "path")

    def __init__(self, info, path, with_manifest_digest=True):
        self.name = _core.cstr(info.name)
        self.version = _core.cstr(info.version)
        self.source = _core.cstr(info.source)
        self.license = _core.cstr(info.license)
        self.ignore = _core.strlist(info.ignore_paths, info.n_ignore_paths)
        self.algorithm = "sha256" if info.algorithm == lib.MS_HASH_SHA256 else "blake2b"
        self.files, self.bytes = int(info.files), int(info.bytes)
        self.digest = _core.root_text(info.root_digest)
        self.manifest_digest = _core.root_text(info.manifest_digest) if with_manifest_digest \
            else None
        self.path = path

    def __repr__(self):
        return "DatasetInfo(name=%r, files=%d, digest=%r)" % (self.name, self.files, self.digest)


class DatasetVerifyResult(_core.Result):
    """The outcome of dataset.verify(): ``info`` (DatasetInfo), ``signer`` (a Signer, or None
    without a key), ``files`` (files hashed; 0 without a directory), and the differences
    ``missing``, ``extra``, ``changed`` (lists of paths)."""

    __slots__ = ("verified", "info", "signer", "files", "missing", "extra", "changed")

    def __repr__(self):
        return ("DatasetVerifyResult(verified=%r, missing=%r, extra=%r, changed=%r)" %
                (self.verified, self.missing, self.extra, self.changed))


def _load_info(path):
    info = ffi.new("ms_dataset_info *")
    err = _core.new_error()
    try:
        _core.check(lib.ms_dataset_info_load(_core.fspath(path, "manifest"), info, err), err)
        return DatasetInfo(info, os.fsdecode(path))
    finally:
        lib.ms_dataset_info_clear(info)


def manifest(directory, *, name, output=None, version=None, source=None, license=None,
             algorithm="sha256", ignore=(), threads=None, allow_lfs_pointers=False):
    """Hash every regular file of `directory` and write its manifest to `output` (default
    NAME.dsm.jsonl.zst in the current directory), atomically. ignore: paths relative to the
    directory left out (recorded in the manifest, so every verifier leaves out the same).
    Returns the DatasetInfo read back from the written file.
    Raises InputError (bad dataset or option), ResourceError (I/O)."""
    keep = []
    if output is None:
        output = name + SUFFIX
    o = ffi.new("ms_dataset_options *")
    for field, v in (("name", name), ("version", version), ("source", source),
                     ("license", license)):
        if v is not None:
            b = ffi.new("char[]", _core.text(v, field))
            keep.append(b)
            setattr(o, field, b)
    a = ffi.new("ms_hash_algorithm *")
    if not isinstance(algorithm, str) or lib.ms_hash_parse(algorithm.encode(), a) != 0:
        raise InputError("algorithm: expected 'sha256' or 'blake2b', not %r" % (algorithm,))
    o.algorithm = a[0]
    if threads is not None:
        _core.set_hash_options(ffi.new("ms_manifest_options *"), threads, None, keep)
        o.threads = threads
    ign = [ignore] if isinstance(ignore, (str, bytes, os.PathLike)) else list(ignore or ())
    o.ignore_paths, o.n_ignore_paths = _core.cstrings([_core.fspath(p, "ignore") for p in ign],
                                                      keep)
    o.allow_lfs_pointers = 1 if allow_lfs_pointers else 0
    err = _core.new_error()
    _core.check(lib.ms_dataset_manifest_write(_core.fspath(directory, "directory"), o,
                                              _core.fspath(output, "output"), ffi.NULL, err), err)
    return _load_info(output)


def sign(manifest_path, *, key, signature=None, passphrase=None):
    """Sign the dataset manifest at `manifest_path` with `key` (a path or PEM bytes; see
    modelseal.sign) and write the signature (default MANIFEST.sig) atomically: a Sigstore
    bundle over the dataset statement, which binds the name, the root digest and the
    manifest's own digest. Returns the path of the signature.
    Raises InputError, ResourceError."""
    keep = []
    sig = os.fsdecode(signature) if signature is not None else \
        os.fsdecode(manifest_path) + ".sig"
    info = ffi.new("ms_dataset_info *")
    err = _core.new_error()
    k = ffi.NULL
    try:
        _core.check(lib.ms_dataset_info_load(_core.fspath(manifest_path, "manifest"), info, err),
                    err)
        k = _core.load_secret_key(key, passphrase, keep)
        payload = ffi.new("char **")
        n = ffi.new("size_t *")
        _core.check(lib.ms_dataset_statement_build(info, payload, n, err), err)
        pl = _core.take_text(payload[0], n[0])
        out = ffi.new("char **")
        _core.check(lib.ms_sign_statement(pl, len(pl), k, ffi.NULL, out, n, err), err)
        _core.write_atomic(sig, _core.take_text(out[0], n[0]))
        return sig
    finally:
        lib.ms_key_free(k)
        lib.ms_dataset_info_clear(info)


class _Diffs:
    def __init__(self):
        self.items = ([], [], [])


@ffi.def_extern()
def _ms_py_dataset_diff(ctx, kind, path):
    ffi.from_handle(ctx).items[kind].append(ffi.string(path).decode("utf-8", "surrogateescape"))


def verify(manifest_path, directory=None, *, key=None, signature=None, threads=None):
    """Verify a dataset manifest: that it is well formed; with key= (a public key, path or PEM
    bytes, or a list), that its signature (default MANIFEST.sig) verifies and is over this
    very manifest; with `directory`, that the files there are exactly the ones listed (every
    file but those the manifest's ignore list names).
    Returns a DatasetVerifyResult. Raises VerificationError (the result, with missing, extra
    and changed, in .result), InputError, ResourceError."""
    from . import _Trust, _signer
    keep = []
    signer = None
    info = _load_info(manifest_path)
    if signature is not None and key is None:
        raise InputError("signature= goes with key=")
    if key is not None:
        sig = signature if signature is not None else os.fsdecode(manifest_path) + ".sig"
        signer = _check_signature(sig, key, manifest_path, _Trust, _signer)
    result = DatasetVerifyResult(verified=True, info=info, signer=signer, files=0, missing=[],
                                 extra=[], changed=[])
    if directory is None:
        return result
    d = _Diffs()
    h = ffi.new_handle(d)
    o = ffi.new("ms_dataset_verify_options *")
    if threads is not None:
        _core.set_hash_options(ffi.new("ms_manifest_options *"), threads, None, keep)
        o.threads = threads
    rel = _core.inside_model(directory, sig) if key is not None else None
    o.ignore_paths, o.n_ignore_paths = _core.cstrings([os.fsencode(rel)] if rel else [], keep)
    o.diff = lib._ms_py_dataset_diff
    o.diff_ctx = h
    res = ffi.new("ms_dataset_verify_result *")
    err = _core.new_error()
    rc = lib.ms_dataset_verify_dir(_core.fspath(manifest_path, "manifest"),
                                   _core.fspath(directory, "directory"), o, res, err)
    result.missing, result.extra, result.changed = (sorted(x) for x in d.items)
    result.files = int(res.files)
    result.verified = rc == 0
    _core.check(rc, err, result)
    return result


def _check_signature(sig, key, manifest_path, Trust, signer_of):
    data = _core.read_signature(_core.fspath(sig, "signature"))
    trust = Trust(key=key)
    b = ffi.new("ms_bundle **")
    st = ffi.new("ms_statement **")
    info = ffi.new("ms_dataset_info *")
    si = ffi.new("ms_signer_info *")
    err = _core.new_error()
    sname = os.fsdecode(sig)
    try:
        rc = lib.ms_bundle_parse(data, len(data), b, err)
        if rc == 0:
            rc = lib.ms_verify_bundle_signature(b[0], trust.trust, si, err)
        if rc == 0:
            env = lib.ms_bundle_envelope(b[0])
            rc = lib.ms_statement_parse_generic(env.payload, env.payload_len, st, err)
        if rc == 0:
            rc = lib.ms_dataset_info_load(_core.fspath(manifest_path, "manifest"), info, err)
            if rc != 0:
                _core.check(rc, err)
            rc = lib.ms_dataset_statement_check(st[0], info, err)
        if rc != 0:
            e = _core.error_from(err)
            raise type(e)("%s: %s" % (sname, e.message), e.code)
        return signer_of(si)
    finally:
        lib.ms_signer_info_clear(si)
        lib.ms_dataset_info_clear(info)
        lib.ms_statement_free(st[0])
        lib.ms_bundle_free(b[0])
        trust.close()
