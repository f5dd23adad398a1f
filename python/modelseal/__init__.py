"""modelseal: sign and verify machine-learning models (OMS / model_signing compatible),
over the libmodelseal C library.

Functions:
    digest(path, ...)          the model's root digest, "sha256:<hex>"
    sign(path, key=..., ...)   hash the model and write its signature (a Sigstore bundle)
    verify(path, key=..., ...) verify the model against its signature
    verify_chain(path, policy) verify the whole chain (signature, provenance, datasets, code,
                               base models) against a deployment policy
    load_verified(path, policy)  the model's path once its chain verifies
    sbom(path, policy=...)     a CycloneDX or SPDX document of the verified evidence
    dataset.manifest/sign/verify, attest.provenance

Errors: every failure raises a subclass of modelseal.Error with the C library's message:
VerificationError (exit status 1 of the CLI), InputError (2), ResourceError (3).

Hashing runs in the C library with the GIL released: several threads may hash or verify
models at once.
"""
import json as _json
import os as _os

from . import _core
from ._core import Error, InputError, ResourceError, VerificationError
from ._core import ffi as _ffi
from ._core import lib as _lib

__all__ = [
    "Error", "VerificationError", "InputError", "ResourceError", "Signature", "Signer",
    "VerifyResult", "ChainLink", "ChainResult", "digest", "sign", "verify", "verify_chain",
    "load_verified", "sbom", "library_version", "dataset", "attest", "DEFAULT_SHARD_SIZE",
]

#: The shard size of the "shards" method when none is given (model_signing's: 10^9 bytes).
DEFAULT_SHARD_SIZE = 1000000000


def library_version():
    """The version of the libmodelseal this package runs on, e.g. "0.1.0"."""
    return _ffi.string(_lib.ms_version()).decode()


try:
    from ._version import __version__
except ImportError:  # pragma: no cover - a source checkout without a build
    __version__ = library_version()


class Signer:
    """Who signed: ``kind`` ("key", "certificate" or "sigstore"), ``hint`` (hex SHA-256 of the
    public key PEM), ``identity`` and ``subject`` of a certificate, ``issuer`` (Sigstore OIDC
    issuer), ``signing_time`` (unix seconds of a verified timestamp, or None)."""

    __slots__ = ("kind", "hint", "identity", "subject", "issuer", "signing_time")

    def __init__(self, kind, hint, identity=None, subject=None, issuer=None, signing_time=None):
        self.kind, self.hint, self.identity = kind, hint, identity
        self.subject, self.issuer, self.signing_time = subject, issuer, signing_time

    def __repr__(self):
        return "Signer(kind=%r, hint=%r, identity=%r)" % (self.kind, self.hint, self.identity)


class Signature:
    """What sign() wrote: ``path`` (the signature file), ``digest`` (the signed root digest,
    "sha256:<hex>"), ``name`` (the signed subject name), ``files`` (resources signed),
    ``bundle`` (the Sigstore bundle, bytes) and ``hint`` (the signing key's hint)."""

    __slots__ = ("path", "digest", "name", "files", "bundle", "hint")

    def __init__(self, path, digest, name, files, bundle, hint):
        self.path, self.digest, self.name = path, digest, name
        self.files, self.bundle, self.hint = files, bundle, hint

    def __repr__(self):
        return "Signature(path=%r, digest=%r, files=%d)" % (self.path, self.digest, self.files)


class VerifyResult(_core.Result):
    """The outcome of verify(): ``verified`` (bool), ``digest`` (the signed root digest or
    None), ``name`` (signed subject name), ``signer`` (a Signer or None), ``files`` (files
    hashed), and the differences ``changed``, ``missing``, ``extra`` (lists of paths)."""

    __slots__ = ("verified", "digest", "name", "signer", "files", "changed", "missing", "extra",
                 "error")

    def __repr__(self):
        return ("VerifyResult(verified=%r, digest=%r, changed=%r, missing=%r, extra=%r)" %
                (self.verified, self.digest, self.changed, self.missing, self.extra))


class ChainLink:
    """One verdict of a chain: ``link`` ("policy", "model", "provenance", "dataset", "code",
    "base-model"), ``name`` (a dataset's or base model's name, else None), ``ok``, ``reason``
    and ``children`` (a base model's own links)."""

    __slots__ = ("link", "name", "ok", "reason", "children")

    def __init__(self, link, name, ok, reason, children):
        self.link, self.name, self.ok, self.reason, self.children = link, name, ok, reason, children

    def to_dict(self):
        """The link as ``modelseal verify --policy --json`` prints it."""
        d = {"link": self.link, "name": self.name, "ok": self.ok, "reason": self.reason}
        if self.children:
            d["links"] = [c.to_dict() for c in self.children]
        return d

    def __repr__(self):
        return "ChainLink(%r, %r, ok=%r, %r)" % (self.link, self.name, self.ok, self.reason)


class ChainResult:
    """The verdicts of verify_chain(): ``verified``, ``links`` (ChainLink tree, in order
    policy, model, provenance, dataset..., code, base-model...), ``model_name`` and
    ``digest`` (the signed, verified root digest, or None), ``failed`` (top-level links that
    failed), ``path`` (the model as given), the model's own files that differ from its
    signature (``changed``, ``missing``, ``extra``) and ``error`` (the message of the first
    failure, or None)."""

    __slots__ = ("verified", "links", "model_name", "digest", "failed", "path", "changed",
                 "missing", "extra", "error")

    def __init__(self, verified, links, model_name, digest, failed, path=None, changed=(),
                 missing=(), extra=(), error=None):
        self.verified, self.links, self.model_name = verified, links, model_name
        self.digest, self.failed, self.path = digest, failed, path
        self.changed, self.missing, self.extra = list(changed), list(missing), list(extra)
        self.error = error

    def __bool__(self):
        return bool(self.verified)

    def to_dict(self):
        """The result as ``modelseal verify --policy --json`` prints it (for a chain that was
        read: verified or not; errors raise instead). The vocabulary is modelseal-json(7)'s."""
        error = None
        if not self.verified:
            error = {"exit": 1, "code": "not-verified", "message": self.error,
                     "path": _error_path(self.error or "")}
        return {"verified": self.verified,
                "model": {"name": self.model_name, "digest": self.digest, "path": self.path},
                "links": [l.to_dict() for l in self.links],
                "changed": self.changed, "missing": self.missing, "extra": self.extra,
                "error": error, "exit_status": 0 if self.verified else 1}

    def __repr__(self):
        return "ChainResult(verified=%r, links=%r)" % (self.verified, self.links)


def _error_path(message):
    """The file an error message starts with ("PATH: ..."), when it exists or its directory
    does, else None: the "path" of modelseal-json(7)'s error object."""
    head, sep, _ = message.partition(": ")
    if not sep or not head:
        return None
    slash = head.rfind("/")
    if _os.path.lexists(head) or (slash > 0 and _os.path.isdir(head[:slash])):
        return head
    return None


def _serialization(model, method, algorithm, shard_size, ignore, allow_symlinks, ser):
    _lib.ms_serialization_init(ser)
    err = _core.new_error()
    m = _ffi.new("ms_method *")
    if not isinstance(method, str) or _lib.ms_method_parse(method.encode(), m) != 0:
        raise InputError("method: expected 'files' or 'shards', not %r" % (method,))
    ser.method = m[0]
    a = _ffi.new("ms_hash_algorithm *")
    if not isinstance(algorithm, str) or _lib.ms_hash_parse(algorithm.encode(), a) != 0:
        raise InputError("algorithm: expected 'sha256' or 'blake2b', not %r" % (algorithm,))
    ser.algorithm = a[0]
    if shard_size is not None:
        if (not isinstance(shard_size, int) or isinstance(shard_size, bool) or
                not 0 < shard_size <= (1 << 53)):
            raise InputError("shard_size: expected a positive number of bytes, not %r" %
                             (shard_size,))
        ser.shard_size = shard_size
    ser.allow_symlinks = 1 if allow_symlinks else 0
    for p in _ignores(model, ignore):
        if _lib.ms_serialization_add_ignore(ser, p) != 0:
            raise ResourceError("out of memory")
    del err


def _ignores(model, ignore):
    """The ignore paths, normalised by the library (relative to the model, or absolute in it)."""
    if isinstance(ignore, (str, bytes, _os.PathLike)):
        ignore = (ignore,)
    out = []
    for p in ignore or ():
        err = _core.new_error()
        r = _lib.ms_ignore_path_normalize(_core.fspath(model, "model"), _core.fspath(p, "ignore"),
                                          err)
        if r == _ffi.NULL:
            raise _core.error_from(err)
        out.append(_core.take_text(r))
    return out


def _manifest(path, method, algorithm, shard_size, ignore, allow_symlinks, threads, progress,
              signature_path=None, record_ignores=False, signature_rel=None,
              ignore_git_paths=True):
    keep = []
    ser = _ffi.new("ms_serialization *")
    opts = _ffi.new("ms_manifest_options *")
    out = _ffi.new("ms_manifest **")
    err = _core.new_error()
    try:
        _serialization(path, method, algorithm, shard_size, ignore, allow_symlinks, ser)
        no_git = 0 if ignore_git_paths else 1
        if record_ignores and _lib.ms_sign_record_ignores(ser, no_git, signature_rel or _ffi.NULL):
            raise ResourceError("out of memory")
        p = _core.set_hash_options(opts, threads, progress, keep)
        opts.no_ignore_git_paths = no_git
        opts.lfs_pointers = 1  # MS_LFS_REFUSE, as the CLI's digest and sign
        if signature_path is not None:
            sp = _ffi.new("char[]", signature_path)
            keep.append(sp)
            opts.signature_path = sp
        rc = _lib.ms_manifest_build(_core.fspath(path, "model"), ser, opts, out, err)
        _core.reraise_progress(p)
        _core.check(rc, err)
        return out[0]
    finally:
        _lib.ms_serialization_clear(ser)


def digest(path, *, method="files", algorithm="sha256", shard_size=DEFAULT_SHARD_SIZE,
           ignore=(), ignore_git_paths=True, allow_symlinks=False, threads=None,
           progress=None):
    """Hash the model at `path` (a directory or one file) and return its root digest,
    "sha256:<hex>", the value ``modelseal digest`` and ``model_signing`` print.

    method: "files" (one digest per file) or "shards" (per `shard_size` bytes of each file);
    algorithm: "sha256" or "blake2b"; ignore: paths relative to the model (or absolute inside
    it) left out; threads: hashing threads (None: every CPU); progress: a callable
    ``progress(done_bytes, total_bytes)`` called on this thread as hashing proceeds.
    model.sig, claims.jsonl and the git paths (.git, .github, .gitattributes, .gitignore) are
    never hashed (the git paths are with ignore_git_paths=False). The GIL is released while
    hashing.
    Raises InputError (no such model, bad option), ResourceError (I/O)."""
    m = _manifest(path, method, algorithm, shard_size, ignore, allow_symlinks, threads, progress,
                  ignore_git_paths=ignore_git_paths)
    try:
        return _core.root_text(m.root_digest)
    finally:
        _lib.ms_manifest_free(m)


def sign(path, *, key, signature=None, certificate=None, certificate_chain=(), passphrase=None,
         method="files", algorithm="sha256", shard_size=DEFAULT_SHARD_SIZE, ignore=(),
         ignore_git_paths=True, allow_symlinks=False, allow_empty=False, threads=None,
         progress=None):
    """Hash the model at `path` and write its signature: a Sigstore bundle (v0.3) with a
    DSSE-enveloped OMS statement, the format ``modelseal sign`` and ``model_signing`` write.

    key: the secret key, a path or PEM ``bytes`` (modelseal, PKCS#8 or SEC1; Ed25519 or ECDSA
    P-256/384/521), or a ``pkcs11:`` URI (RFC 7512) naming a key on a PKCS#11 token, which
    signs there (modelseal-keys(5); KMS URIs are not supported by libmodelseal and raise
    InputError). passphrase: for an encrypted key, a str/bytes or a callable returning one;
    for a token without a PIN in its URI, the PIN.
    signature: where to write it (default MODEL/model.sig, or MODEL.sig beside a file); the
    file is written atomically and never hashed. certificate: the signing certificate of
    `key` (path or PEM bytes); certificate_chain: intermediates to include. method, algorithm,
    shard_size, ignore, ignore_git_paths, allow_symlinks, threads, progress: as for digest();
    the signature records the ignored paths, as model_signing's do. allow_empty: sign
    a model with no files.
    Returns a Signature. Raises InputError, ResourceError."""
    keep = []
    sig_path = _os.fsdecode(_core.fspath(signature, "signature")) if signature is not None \
        else _core.default_signature_path(path)
    rel = _core.inside_model(path, sig_path)
    if rel == "model.sig":
        rel = None
    k = _core.load_secret_key(key, passphrase, keep)
    chain = _ffi.NULL
    m = _ffi.NULL
    try:
        if certificate is not None:
            chain = _core.load_chain([certificate] + _seq(certificate_chain))
        elif certificate_chain:
            raise InputError("certificate_chain needs certificate")
        m = _manifest(path, method, algorithm, shard_size, ignore, allow_symlinks, threads,
                      progress, signature_path=_os.fsencode(sig_path), record_ignores=True,
                      signature_rel=_os.fsencode(rel) if rel else None,
                      ignore_git_paths=ignore_git_paths)
        out = _ffi.new("char **")
        n = _ffi.new("size_t *")
        err = _core.new_error()
        _core.check(_lib.ms_sign_manifest(m, k, chain, 1 if allow_empty else 0, out, n, err), err)
        bundle = _core.take_text(out[0], n[0])
        _core.write_atomic(sig_path, bundle)
        if m.n_empty_files:
            import warnings
            warnings.warn("%s: %d empty file(s) (%s) not covered: empty files have no shards, "
                          "so verify will report them as extra; method='files' would cover "
                          "them" % (_os.fsdecode(path), m.n_empty_files,
                                    ", ".join(_core.strlist(m.empty_files,
                                                            min(3, m.n_empty_files)))),
                          stacklevel=2)
        return Signature(sig_path, _core.root_text(m.root_digest), _core.cstr(m.model_name),
                         m.n_resources, bundle, _core.key_hint(k))
    finally:
        _lib.ms_manifest_free(m)
        _lib.ms_x509_chain_free(chain)
        _lib.ms_key_free(k)


def _seq(x):
    if x is None:
        return []
    if isinstance(x, (str, bytes, _os.PathLike)):
        return [x]
    return list(x)


def _signer(info):
    if not _ffi.string(info.kind):
        return None
    return Signer(_ffi.string(info.kind).decode(), _ffi.string(info.hint).decode(),
                  _core.cstr(info.identity), _core.cstr(info.subject), _core.cstr(info.issuer),
                  int(info.signing_time) or None)


class _Trust:
    """An ms_trust and what it points to, freed by close()."""

    def __init__(self, key=None, certificate_chain=(), identity=None, issuer=None,
                 trusted_root=None):
        self.keys, self.chain, self.root = [], _ffi.NULL, _ffi.NULL
        self.keep = []
        self.trust = _ffi.new("ms_trust *")
        try:
            self._fill(key, certificate_chain, identity, issuer, trusted_root)
        except BaseException:
            self.close()
            raise

    def _fill(self, key, certificate_chain, identity, issuer, trusted_root):
        keys = [] if key is None else ([key] if isinstance(key, (str, bytes, bytearray,
                                                                   _os.PathLike)) else list(key))
        chain = _seq(certificate_chain)
        keyless = issuer is not None
        if not keys and not chain and not keyless:
            raise InputError("give a trusted key=, or certificate_chain= (with identity=), or "
                             "identity= and issuer= (Sigstore)")
        if keyless and identity is None:
            raise InputError("Sigstore verification needs identity= and issuer=")
        if identity is not None and not chain and not keyless:
            raise InputError("identity= goes with certificate_chain= or issuer=")
        for k in keys:
            self.keys.append(_core.load_public_key(k))
        if self.keys:
            arr = _ffi.new("ms_key *[]", self.keys)
            self.keep.append(arr)
            self.trust.keys = _ffi.cast("const ms_key *const *", arr)
            self.trust.n_keys = len(self.keys)
        if chain:
            self.chain = _core.load_chain(chain)
            self.trust.roots = self.chain
        if identity is not None:
            b = _ffi.new("char[]", _core.text(identity, "identity"))
            self.keep.append(b)
            self.trust.identity = b
        if keyless or (trusted_root is not None and self.keys):
            path = trusted_root if trusted_root is not None else \
                _os.path.join(_core.sigstore_dir(), "trusted_root.json")
            out = _ffi.new("ms_trusted_root **")
            err = _core.new_error()
            rc = _lib.ms_trusted_root_load(_core.fspath(path, "trusted_root"), out, err)
            if rc != 0 and trusted_root is None and not _os.path.exists(path):
                raise ResourceError("%s: no trusted root (give trusted_root=)" % path)
            _core.check(rc, err)
            self.root = out[0]
            self.trust.sigstore_root = self.root
            if keyless:
                b = _ffi.new("char[]", _core.text(issuer, "issuer"))
                self.keep.append(b)
                self.trust.sigstore_issuer = b
            else:
                self.trust.key_bundle_logged = 1

    def close(self):
        for k in self.keys:
            _lib.ms_key_free(k)
        self.keys = []
        _lib.ms_x509_chain_free(self.chain)
        self.chain = _ffi.NULL
        _lib.ms_trusted_root_free(self.root)
        self.root = _ffi.NULL


def verify(path, *, key=None, certificate_chain=(), identity=None, issuer=None,
           trusted_root=None, signature=None, ignore=(), ignore_unsigned_files=False,
           allow_symlinks=False, allow_empty=False, threads=None, progress=None):
    """Verify the model at `path` against its signature, as ``modelseal verify`` does: the
    signature over the exact payload with trusted material, the subject digest over the
    signed resources, then a re-hash of the model with the signature's own serialization.

    Trust (one of): key= a public key (path or PEM bytes) or a list of them;
    certificate_chain= trusted root and intermediate certificates (paths or PEM bytes) with
    identity= the SAN the signing certificate must carry; identity= and issuer= for a Sigstore
    keyless signature, checked offline against trusted_root= (default: the library's
    trusted_root.json). signature: the signature file (default MODEL/model.sig or
    MODEL.sig). ignore: more paths to leave out; ignore_unsigned_files: hash only the files the
    signature lists. threads, progress: as for digest().

    Returns a VerifyResult (verified=True). Raises VerificationError (carrying the
    VerifyResult with changed/missing/extra in .result) when the model is not what was signed,
    InputError for malformed or missing input, ResourceError for I/O."""
    keep = []
    sig_path = _core.fspath(signature, "signature") if signature is not None else \
        _os.fsencode(_core.default_signature_path(path))
    trust = _Trust(key, certificate_chain, identity, issuer, trusted_root)
    res = _ffi.new("ms_verify_result *")
    try:
        data = _core.read_signature(sig_path, follow=signature is not None)
        opts = _ffi.new("ms_verify_options *")
        p = _core.set_hash_options(opts.hash, threads, progress, keep)
        extra = _ignores(path, ignore)
        opts.extra_ignores, opts.n_extra_ignores = _core.cstrings(extra, keep)
        sp = _ffi.new("char[]", sig_path)
        keep.append(sp)
        opts.signature_path = sp
        opts.ignore_unsigned_files = 1 if ignore_unsigned_files else 0
        opts.allow_empty = 1 if allow_empty else 0
        opts.allow_symlinks = 1 if allow_symlinks else 0
        err = _core.new_error()
        rc = _lib.ms_verify_model(_core.fspath(path, "model"), data, len(data), trust.trust,
                                  opts, res, err)
        _core.reraise_progress(p)
        st = res.statement
        d = res.diff
        r = VerifyResult(
            verified=rc == 0,
            digest=_core.root_text(st.subject_digest) if st != _ffi.NULL else None,
            name=_core.cstr(st.subject_name) if st != _ffi.NULL else None,
            signer=_signer(res.signer), files=res.n_files,
            changed=_core.strlist(d.changed, d.n_changed),
            missing=_core.strlist(d.missing, d.n_missing),
            extra=_core.strlist(d.extra, d.n_extra), error=None)
        if rc != 0:
            msg = _ffi.string(err.message).decode("utf-8", "replace")
            if rc == -2 and st == _ffi.NULL and not _ffi.string(res.signer.kind) and \
                    not msg.startswith(_os.fsdecode(sig_path)):
                e = InputError("%s: %s" % (_os.fsdecode(sig_path), msg), rc)
            else:
                e = _core.error_from(err, r)
            r.error = str(e)
            raise e
        return r
    finally:
        _lib.ms_verify_result_clear(res)
        trust.close()


def _links(arr, n):
    return [ChainLink(_core.cstr(arr[i].link), _core.cstr(arr[i].name), bool(arr[i].ok),
                      _core.cstr(arr[i].reason), _links(arr[i].links, arr[i].n_links))
            for i in range(n)]


def _chain_result(rc, res, path=None, err=None):
    d = res.diff
    message = None
    if rc and err is not None:
        message = _ffi.string(err.message).decode("utf-8", "replace")
    return ChainResult(rc == 0, _links(res.links, res.n_links), _core.cstr(res.model_name),
                       _core.root_text(res.model_digest) if res.has_digest else None,
                       res.n_failed, path, _core.strlist(d.changed, d.n_changed),
                       _core.strlist(d.missing, d.n_missing), _core.strlist(d.extra, d.n_extra),
                       message)


def _load_policy(policy):
    """An ms_policy* from a path, or a dict (relative paths in it are relative to the current
    directory)."""
    out = _ffi.new("ms_policy **")
    err = _core.new_error()
    if isinstance(policy, dict):
        text = _json.dumps(policy).encode()
        rc = _lib.ms_policy_parse(text, len(text), b"policy", _ffi.NULL, out, err)
    else:
        rc = _lib.ms_policy_load(_core.fspath(policy, "policy"), out, err)
    _core.check(rc, err)
    return out[0]


def _chain_options(copts, signature, claims, threads, progress, keep):
    if signature is not None:
        b = _ffi.new("char[]", _core.fspath(signature, "signature"))
        keep.append(b)
        copts.signature_path = b
    if claims is not None:
        b = _ffi.new("char[]", _core.fspath(claims, "claims"))
        keep.append(b)
        copts.claims_path = b
    p = _core.set_hash_options(copts.hash, threads, progress, keep)
    if hasattr(copts, "dataset_threads"):
        copts.dataset_threads = copts.hash.threads
    return p


def verify_chain(path, policy, *, signature=None, claims=None, threads=None, progress=None):
    """Verify the whole chain of the model at `path` against a deployment policy
    (modelseal-policy(5)): its signature, SLSA provenance, datasets, training code and base
    models, one verdict per link, as ``modelseal verify --policy POLICY --json`` reports it.

    policy: the policy file's path, or the policy as a dict (its relative paths are then
    relative to the current directory). signature, claims: the model's signature and claims
    file (defaults: MODEL/model.sig and MODEL/claims.jsonl). threads, progress: as for
    digest().

    Returns a ChainResult (verified). Raises VerificationError (the ChainResult with every
    verdict in .result) when a link fails, InputError / ResourceError when the policy, a
    signature or the claims cannot be read."""
    keep = []
    pol = _load_policy(policy)
    res = _ffi.new("ms_chain_result *")
    try:
        copts = _ffi.new("ms_chain_options *")
        p = _chain_options(copts, signature, claims, threads, progress, keep)
        err = _core.new_error()
        rc = _lib.ms_chain_verify(pol, _core.fspath(path, "model"), copts, res, err)
        _core.reraise_progress(p)
        r = _chain_result(rc, res, _os.fsdecode(_core.fspath(path, "model")), err)
        _core.check(rc, err, r)
        return r
    finally:
        _lib.ms_chain_result_clear(res)
        _lib.ms_policy_free(pol)


def load_verified(path, policy, **kwargs):
    """Verify the chain of the model at `path` against `policy` (verify_chain) and return the
    model's path, ready to load; raise (VerificationError, InputError, ResourceError) and load
    nothing otherwise.

        with safe_open(os.path.join(modelseal.load_verified(d, "policy.json"),
                                    "model.safetensors"), "pt") as f: ...
        model = AutoModel.from_pretrained(modelseal.load_verified(d, "policy.json"))
    """
    verify_chain(path, policy, **kwargs)
    return _os.fsdecode(_core.fspath(path, "model"))


def sbom(path, *, policy=None, key=None, format="cyclonedx", signature=None, claims=None,
         name=None, version=None, supplier=None, license=None, type_of_model=None,
         namespace=None, timestamp=None, threads=None):
    """The AI bill of materials of the model at `path` as a dict: a CycloneDX 1.6 ML-BOM
    (format="cyclonedx") or an SPDX 3.0.1 AI/Dataset document (format="spdx"), generated only
    from evidence that verifies, as ``modelseal sbom`` does.

    policy: a policy (path or dict, as for verify_chain()): the whole chain is verified first
    and nothing is made for a chain that fails (VerificationError, the ChainResult in
    .result); its signers are used per role. key: instead of a policy, trusted public keys
    (path or PEM bytes, or a list) for every claim: the model is re-hashed against its
    signature, and a claim that names one of the keys but does not verify is a failure.
    name, version, supplier, license, type_of_model, namespace: as ``modelseal sbom``'s
    options; timestamp: unix seconds of the document's one time (default: SOURCE_DATE_EPOCH
    when set, else now, as the CLI).
    Raises VerificationError, InputError, ResourceError."""
    import time
    if (policy is None) == (key is None):
        raise InputError("sbom: give policy= or key=")
    keep = []
    fmt = _ffi.new("ms_sbom_format *")
    err = _core.new_error()
    _core.check(_lib.ms_sbom_format_parse(_core.text(format, "format"), fmt, err), err)
    o = _ffi.new("ms_sbom_options *")
    for field, v in (("name", name), ("version", version), ("supplier", supplier),
                     ("license", license), ("type_of_model", type_of_model),
                     ("namespace_iri", namespace)):
        if v is not None:
            b = _ffi.new("char[]", _core.text(v, field))
            keep.append(b)
            setattr(o, field, b)
    if timestamp is None:
        sde = _os.environ.get("SOURCE_DATE_EPOCH")
        try:
            timestamp = int(sde) if sde else int(time.time())
        except ValueError:
            raise InputError("SOURCE_DATE_EPOCH=%s: not a number of seconds since 1970" %
                             sde) from None
    o.timestamp = int(timestamp)
    _core.check(_lib.ms_sbom_options_check(o, err), err)
    ev = _ffi.new("ms_sbom_evidence **")
    pol, trust = _ffi.NULL, None
    res = _ffi.new("ms_chain_result *")
    try:
        if policy is not None:
            pol = _load_policy(policy)
            copts = _ffi.new("ms_chain_options *")
            _chain_options(copts, signature, claims, threads, None, keep)
            rc = _lib.ms_sbom_collect_policy(pol, _core.fspath(path, "model"), copts, res, ev,
                                             err)
            _core.check(rc, err, _chain_result(rc, res))
        else:
            trust = _Trust(key=key)
            co = _ffi.new("ms_sbom_collect_options *")
            _chain_options(co, signature, claims, threads, None, keep)
            for role in ("model", "provenance", "datasets", "base_models"):
                getattr(co, role).items = trust.trust
                getattr(co, role).n = 1
            co.verify_model_files = 1
            co.strict = 1
            _core.check(_lib.ms_sbom_collect(_core.fspath(path, "model"), co, ev, err), err)
        out = _ffi.new("char **")
        n = _ffi.new("size_t *")
        _core.check(_lib.ms_sbom_render(fmt[0], ev[0], o, out, n, err), err)
        return _json.loads(_core.take_text(out[0], n[0]))
    finally:
        _lib.ms_sbom_evidence_free(ev[0])
        _lib.ms_chain_result_clear(res)
        _lib.ms_policy_free(pol)
        if trust is not None:
            trust.close()


from . import attest, dataset  # noqa: E402  (they use the names above)
