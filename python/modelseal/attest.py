"""Attestations about a signed model (modelseal-claims(5)).

    modelseal.attest.provenance("model/", key="builder.key", builder_id="https://ci.example",
                                datasets=["corpus.dsm.jsonl.zst"], git_repo=".")

signs a SLSA v1 provenance statement about the model (as its model.sig names it) and appends
it to the model's claims file, with the signatures of the datasets it names, as
``modelseal attest provenance`` does; ``modelseal verify --policy`` and
modelseal.verify_chain() read it back.
"""
import json
import os

from . import _core
from ._core import InputError, ffi, lib

__all__ = ["provenance"]

_CLAIMS_MAX_LINE = 16 << 20


def _bundle_line(path, max_size):
    """A signature file as one claims line (compact JSON, trailing whitespace removed)."""
    data = _core.read_signature(_core.fspath(path, "signature"))
    if len(data) > max_size:
        raise InputError("%s: larger than %d bytes" % (os.fsdecode(path), max_size))
    data = data.rstrip(b" \t\r\n")
    if b"\n" in data or b"\r" in data:
        try:
            data = json.dumps(json.loads(data), separators=(",", ":"),
                              ensure_ascii=False).encode()
        except ValueError as e:
            raise InputError("%s: not JSON (%s)" % (os.fsdecode(path), e)) from None
    return data


def _statement(line, what, generic):
    """Parse a bundle line's statement: (bundle**, statement**); free both."""
    b = ffi.new("ms_bundle **")
    st = ffi.new("ms_statement **")
    err = _core.new_error()
    rc = lib.ms_bundle_parse(line, len(line), b, err)
    if rc == 0:
        env = lib.ms_bundle_envelope(b[0])
        if env == ffi.NULL:
            lib.ms_bundle_free(b[0])
            raise InputError("%s: dsseEnvelope: missing" % what)
        parse = lib.ms_statement_parse_generic if generic else lib.ms_statement_parse
        rc = parse(env.payload, env.payload_len, st, err)
    if rc != 0:
        lib.ms_bundle_free(b[0])
        e = _core.error_from(err)
        raise type(e)("%s: %s" % (what, e.message), e.code)
    return b, st


def provenance(model, *, key, builder_id, passphrase=None, build_type=None, parameters=None,
               datasets=(), base_models=(), dependencies=(), git_repo=None, git_remote=None,
               allow_dirty=False,
               invocation_id=None, started_on=None, finished_on=None, signature=None,
               claims=None):
    """Sign a SLSA v1 provenance statement about the signed model at `model` and append it to
    its claims file (default MODEL/claims.jsonl, or MODEL.claims.jsonl beside a file),
    followed by the evidence it points to (the datasets' signatures, the base models'
    signatures and claims).

    key: the builder's secret key (path or PEM bytes; passphrase as for modelseal.sign).
    builder_id: runDetails.builder.id (required). build_type: buildDefinition.buildType.
    parameters: externalParameters, a dict. datasets: dataset manifests, each a path (its
    signature MANIFEST.sig is copied when it exists) or a (manifest, signature) pair.
    base_models: the models this one was fine-tuned from, each a directory (its model.sig and
    claims.jsonl), a signature file (X/model.sig, or X.sig with X.claims.jsonl) or a
    single-file model (X.sig beside it); their signature and claims are copied.
    dependencies: packages, each a URI (a purl) or a (uri, sha256_hex) pair. git_repo: a path
    inside the training code's git checkout, recorded as the code dependency (None: no code
    is recorded); git_remote: the remote whose URL is recorded (default origin); a dirty
    working tree is refused unless allow_dirty. invocation_id, started_on, finished_on:
    runDetails.metadata (RFC 3339 times; default now). signature: the model's signature
    (default MODEL/model.sig). Returns the number of lines added to the claims file.
    Raises InputError, ResourceError."""
    keep = []
    if not isinstance(builder_id, str) or not builder_id:
        raise InputError("builder_id is required (runDetails.builder.id)")
    sig_path = signature if signature is not None else _core.default_signature_path(model)
    if signature is None and not os.path.exists(sig_path):
        raise InputError("%s: no signature: sign the model first (modelseal.sign)" % sig_path)
    line = _bundle_line(sig_path, _core.BUNDLE_MAX_SIZE)
    b, st = _statement(line, os.fsdecode(sig_path), False)
    try:
        if st[0].subject_name == ffi.NULL:
            raise InputError("%s: a legacy signature (one subject per file) names no model: "
                             "re-sign it" % os.fsdecode(sig_path))
        name = ffi.string(st[0].subject_name)
        root = bytes(ffi.unpack(st[0].subject_digest, 32))
    finally:
        lib.ms_statement_free(st[0])
        lib.ms_bundle_free(b[0])
    err = _core.new_error()
    if claims is None:
        c = lib.ms_claims_default_path(_core.fspath(model, "model"), err)
        if c == ffi.NULL:
            raise _core.error_from(err)
        claims = _core.take_text(c)
    existing = ffi.new("ms_claims **")
    _core.check(lib.ms_claims_read(_core.fspath(claims, "claims"), 1, existing, err), err)
    lib.ms_claims_free(existing[0])

    p = lib.ms_provenance_new()
    k = ffi.NULL
    git = ffi.new("ms_git_info *")
    lines = []
    if p == ffi.NULL:
        raise _core.ResourceError("out of memory")
    try:
        def setf(field, value, what):
            ptr = ffi.addressof(p, field)
            _core.check(lib.ms_provenance_set_string(ptr, _core.text(value, what), err), err)

        _core.check(lib.ms_provenance_set_string(ffi.addressof(p, "subject_name"), name, err),
                    err)
        ffi.memmove(p.subject_digest, root, 32)
        setf("builder_id", builder_id, "builder_id")
        if build_type is not None:
            setf("build_type", build_type, "build_type")
        if parameters is not None:
            if not isinstance(parameters, dict):
                raise InputError("parameters: expected a dict")
            pj = json.dumps(parameters).encode()
            _core.check(lib.ms_provenance_set_parameters(p, pj, len(pj), b"parameters", err),
                        err)
        if invocation_id is not None:
            setf("invocation_id", invocation_id, "invocation_id")
        for field, v in (("started_on", started_on), ("finished_on", finished_on)):
            ts = ffi.new("char[64]")
            if v is None:
                lib.ms_provenance_now(ts)
            else:
                _core.check(lib.ms_provenance_rfc3339_utc(_core.text(v, field), field.encode(),
                                                          ts, err), err)
            _core.check(lib.ms_provenance_set_string(ffi.addressof(p, field), ts, err), err)
        if git_repo is not None:
            _core.check(lib.ms_git_info_load(_core.fspath(git_repo, "git_repo"),
                                             _core.text(git_remote, "git_remote"), git, err), err)
            if git.dirty and not allow_dirty:
                raise InputError("%s: the working tree has uncommitted changes or untracked "
                                 "files: commit them, or pass allow_dirty=True" %
                                 _core.cstr(git.path))
            _core.check(lib.ms_provenance_add_code(p, git, err), err)
        for d in ([datasets] if isinstance(datasets, (str, os.PathLike)) else datasets):
            lines.extend(_add_dataset(p, d, err))
        for bm in ([base_models] if isinstance(base_models, (str, os.PathLike))
                   else base_models):
            lines.extend(_add_base_model(p, bm, err))
        for dep in ([dependencies] if isinstance(dependencies, str) else dependencies):
            uri, hexd = (dep, None) if isinstance(dep, str) else dep
            _core.check(lib.ms_provenance_add_package(p, _core.text(uri, "dependency"),
                                                      _core.text(hexd, "dependency digest"),
                                                      err), err)
        payload = ffi.new("char **")
        n = ffi.new("size_t *")
        _core.check(lib.ms_provenance_build(p, payload, n, err), err)
        pl = _core.take_text(payload[0], n[0])
        k = _core.load_secret_key(key, passphrase, keep)
        out = ffi.new("char **")
        _core.check(lib.ms_sign_statement(pl, len(pl), k, ffi.NULL, out, n, err), err)
        all_lines = [_core.take_text(out[0], n[0])] + lines
        bufs = [ffi.new("char[]", x) for x in all_lines]
        arr = ffi.new("const char *[]", bufs)
        lens = ffi.new("size_t[]", [len(x) for x in all_lines])
        added = ffi.new("size_t *")
        _core.check(lib.ms_claims_append(_core.fspath(claims, "claims"), arr, lens,
                                         len(all_lines), added, err), err)
        return int(added[0])
    finally:
        lib.ms_git_info_clear(git)
        lib.ms_key_free(k)
        lib.ms_provenance_free(p)


def _add_dataset(p, d, err):
    if isinstance(d, (tuple, list)):
        manifest, sig = d
    else:
        manifest, sig = d, os.fsdecode(d) + ".sig"
        if not os.path.exists(sig):
            sig = None
    info = ffi.new("ms_dataset_info *")
    try:
        rc = lib.ms_dataset_info_load(_core.fspath(manifest, "dataset"), info, err)
        if rc != 0:
            e = _core.error_from(err)
            m = os.fsdecode(manifest)
            raise type(e)(e.message if e.message.startswith(m) else "%s: %s" % (m, e.message),
                          e.code)
        lines = []
        if sig is not None:
            line = _bundle_line(sig, _CLAIMS_MAX_LINE)
            b, st = _statement(line, os.fsdecode(sig), True)
            try:
                rc = lib.ms_dataset_statement_check(st[0], info, err)
            finally:
                lib.ms_statement_free(st[0])
                lib.ms_bundle_free(b[0])
            if rc != 0:
                raise InputError("%s: signature is for another manifest than %s (%s)" % (
                    os.fsdecode(sig), os.fsdecode(manifest),
                    ffi.string(err.message).decode("utf-8", "replace")))
            lines.append(line)
        _core.check(lib.ms_provenance_add_dataset(p, info.name, info.source, info.version,
                                                  info.root_digest, info.manifest_digest, err),
                    err)
        return lines
    finally:
        lib.ms_dataset_info_clear(info)


def _base_model_paths(path):
    """(signature, claims file) of a base model given as `modelseal attest provenance
    --base-model` takes it."""
    path = os.fsdecode(path)
    if not os.path.exists(path):
        raise InputError("base model %s: No such file or directory" % path)
    p = path.rstrip("/") or "/"
    if os.path.isdir(path):
        sig, claims = os.path.join(p, "model.sig"), os.path.join(p, "claims.jsonl")
    elif p == "model.sig" or p.endswith("/model.sig"):
        sig, claims = p, p[: -len("model.sig")] + "claims.jsonl"
    elif p.endswith(".sig"):
        sig, claims = p, p[:-4] + ".claims.jsonl"
    else:
        sig, claims = p + ".sig", p + ".claims.jsonl"
    if not os.path.exists(sig):
        raise InputError("base model %s: no signature (%s): sign it first" % (path, sig))
    return sig, claims


def _add_base_model(p, path, err):
    sig, claims_path = _base_model_paths(path)
    line = _bundle_line(sig, _CLAIMS_MAX_LINE)
    b, st = _statement(line, sig, False)
    try:
        if st[0].subject_name == ffi.NULL:
            raise InputError("%s: a legacy signature (one subject per file) names no model: "
                             "re-sign it" % sig)
        _core.check(lib.ms_provenance_add_base_model(p, st[0].subject_name,
                                                     st[0].subject_digest, err), err)
    finally:
        lib.ms_statement_free(st[0])
        lib.ms_bundle_free(b[0])
    lines = [line]
    claims = ffi.new("ms_claims **")
    _core.check(lib.ms_claims_read(_core.fspath(claims_path, "claims"), 1, claims, err), err)
    try:
        for i in range(claims[0].n):
            lines.append(ffi.unpack(claims[0].items[i].text, claims[0].items[i].len))
    finally:
        lib.ms_claims_free(claims[0])
    return lines
