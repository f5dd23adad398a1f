"""The plumbing every module of the package shares: the native module, errors mapped from the
library's codes, option structures, progress and passphrase callbacks, signature files.

Everything here calls libmodelseal through cffi; cffi releases the GIL around each C call, so
hashing in one thread lets other Python threads run (and hash) at the same time.
"""
import os
import stat as _stat

from ._native import ffi, lib

# Limits of the C library (bundle.h, claims.h): the largest signature the package reads.
BUNDLE_MAX_SIZE = 128 << 20


class Error(Exception):
    """Base class of every error modelseal raises; ``str(e)`` is the C library's message."""

    exit_status = 3

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        self.code = code


class VerificationError(Error):
    """The input is well formed but is not what was signed (the CLI's exit status 1).

    ``result`` holds what verification established before it failed: a ``VerifyResult``
    (with ``changed``, ``missing``, ``extra``), a ``ChainResult`` (the verdict tree) or a
    ``DatasetVerifyResult``; it may be ``None``."""

    exit_status = 1

    def __init__(self, message, code=None, result=None):
        super().__init__(message, code)
        self.result = result


class InputError(Error, ValueError):
    """Usage error, malformed or unreadable input (the CLI's exit status 2)."""

    exit_status = 2


class ResourceError(Error, OSError):
    """The environment: I/O, network, memory, a missing trusted root (exit status 3)."""

    exit_status = 3


def error_from(err, result=None):
    """The exception for a filled ``ms_error``."""
    code = err.code
    message = ffi.string(err.message).decode("utf-8", "replace")
    status = lib.ms_error_exit_status(code)
    if status == 1:
        return VerificationError(message, code, result)
    if status == 2:
        return InputError(message, code)
    return ResourceError(message, code)


def check(rc, err, result=None):
    if rc != 0:
        raise error_from(err, result)


def new_error():
    err = ffi.new("ms_error *")
    lib.ms_error_clear(err)
    return err


def fspath(p, what="path"):
    """A path argument as the C library takes it (bytes, NUL-free)."""
    try:
        p = os.fspath(p)
    except TypeError:
        raise InputError("%s: expected a path, got %s" % (what, type(p).__name__)) from None
    b = os.fsencode(p)
    if b"\0" in b:
        raise InputError("%s: contains a NUL byte" % what)
    return b


def text(s, what):
    if s is None:
        return ffi.NULL
    if not isinstance(s, str):
        raise InputError("%s: expected a string, got %s" % (what, type(s).__name__))
    b = s.encode("utf-8")
    if b"\0" in b:
        raise InputError("%s: contains a NUL byte" % what)
    return b


def cstr(p):
    return None if p == ffi.NULL else ffi.string(p).decode("utf-8", "surrogateescape")


def strlist(arr, n):
    return [ffi.string(arr[i]).decode("utf-8", "surrogateescape") for i in range(n)]


def take_text(ptr, length=None):
    """Bytes of a buffer the library handed over (malloc'd), released with ms_free."""
    if ptr == ffi.NULL:
        raise ResourceError("out of memory")
    try:
        return ffi.unpack(ptr, length) if length is not None else ffi.string(ptr)
    finally:
        lib.ms_free(ptr)


def root_text(digest):
    return "sha256:" + bytes(ffi.unpack(digest, 32)).hex()


def cstrings(items, keep):
    """A ``const char *const *`` array of `items` (bytes); `keep` holds the memory alive."""
    if not items:
        return ffi.NULL, 0
    cs = [ffi.new("char[]", b) for b in items]
    arr = ffi.new("const char *[]", cs)
    keep.extend(cs)
    keep.append(arr)
    return arr, len(items)


# ---- progress ----------------------------------------------------------------------------


class _Progress:
    __slots__ = ("fn", "exc")

    def __init__(self, fn):
        self.fn = fn
        self.exc = None


@ffi.def_extern()
def _ms_py_progress(ctx, done, total):
    p = ffi.from_handle(ctx)
    if p.exc is not None:
        return
    try:
        p.fn(int(done), int(total))
    except BaseException as e:  # raised again once the C call has returned
        p.exc = e


def set_hash_options(opts, threads, progress, keep):
    """Fill an ms_manifest_options: threads (None: all CPUs) and the progress callback."""
    if threads is not None:
        if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 1024:
            raise InputError("threads: expected a count from 1 to 1024, got %r" % (threads,))
        opts.threads = threads
    if progress is not None:
        if not callable(progress):
            raise InputError("progress: expected a callable(done_bytes, total_bytes)")
        p = _Progress(progress)
        h = ffi.new_handle(p)
        keep.extend((p, h))
        opts.progress = lib._ms_py_progress
        opts.progress_ctx = h
        return p
    return None


def reraise_progress(p):
    if p is not None and p.exc is not None:
        raise p.exc


# ---- keys --------------------------------------------------------------------------------


class _Passphrase:
    __slots__ = ("value", "exc")

    def __init__(self, value):
        self.value = value
        self.exc = None


@ffi.def_extern()
def _ms_py_passphrase(ctx, buf, size, err):
    pp = ffi.from_handle(ctx)
    try:
        v = pp.value() if callable(pp.value) else pp.value
        if v is None:
            return _pass_error(err, "is encrypted: give passphrase=")
        if isinstance(v, str):
            v = v.encode("utf-8")
        v = bytes(v)
        if b"\0" in v or len(v) + 1 > size:
            return _pass_error(err, "passphrase too long or contains a NUL byte")
        ffi.memmove(buf, v, len(v))
        buf[len(v)] = b"\0"
        return 0
    except BaseException as e:
        pp.exc = e
        return _pass_error(err, "passphrase callback raised %s" % type(e).__name__)


def _pass_error(err, msg):
    m = ("secret key: " + msg).encode()[: len(err.message) - 1]
    err.code = -2
    ffi.memmove(err.message, m + b"\0", len(m) + 1)
    return -2


def load_secret_key(key, passphrase, keep):
    """An ms_key* for `key` (a path, or PEM bytes); free with ms_key_free."""
    err = new_error()
    out = ffi.new("ms_key **")
    pp = _Passphrase(passphrase)
    h = ffi.new_handle(pp)
    if isinstance(key, (bytes, bytearray, memoryview)):
        data = bytes(key)
        if data.startswith((b"pkcs11:", b"awskms:", b"gcpkms:", b"azurekms:", b"hashivault:")):
            raise InputError("key: a %s URI is given as a str, not bytes (bytes are a PEM key)"
                             % data.split(b":")[0].decode())
        rc = lib.ms_key_parse_secret(data, len(data), b"key (bytes)", lib._ms_py_passphrase, h,
                                     out, err)
    else:
        if isinstance(key, str) and key.split(":", 1)[0] in (
                "awskms", "gcpkms", "azurekms", "hashivault"):
            raise InputError("key: %s URIs are not supported by this libmodelseal (a key file, "
                             "PEM bytes or a pkcs11: URI)" % key.split(":", 1)[0])
        if isinstance(key, str) and key.startswith("pkcs11:"):
            # A key on a PKCS#11 token (modelseal-keys(5)); the passphrase is the token's PIN
            # when the URI gives none.
            rc = lib.ms_key_open_signer(key.encode(), lib._ms_py_passphrase, h, out, err)
        else:
            rc = lib.ms_key_load_secret(fspath(key, "key"), lib._ms_py_passphrase, h, out, err)
    if pp.exc is not None and not isinstance(pp.exc, Exception):
        raise pp.exc
    check(rc, err)
    return out[0]


def load_public_key(key):
    err = new_error()
    out = ffi.new("ms_key **")
    if isinstance(key, (bytes, bytearray, memoryview)):
        data = bytes(key)
        rc = lib.ms_key_parse_public(data, len(data), out, err)
    else:
        rc = lib.ms_key_load_public(fspath(key, "key"), out, err)
    check(rc, err)
    return out[0]


def key_hint(k):
    hint = ffi.new("char[65]")
    if lib.ms_key_hint(k, hint) != 0:
        raise ResourceError("out of memory")
    return ffi.string(hint).decode()


def load_chain(items):
    """An ms_x509_chain* from paths and/or PEM bytes, in order (None when `items` is empty)."""
    items = [items] if isinstance(items, (str, bytes, os.PathLike)) else list(items or ())
    if not items:
        return ffi.NULL
    err = new_error()
    chain = lib.ms_x509_chain_new()
    if chain == ffi.NULL:
        raise ResourceError("out of memory")
    try:
        for it in items:
            if isinstance(it, (bytes, bytearray, memoryview)):
                part = ffi.new("ms_x509_chain **")
                data = bytes(it)
                check(lib.ms_x509_parse_pem_chain(data, len(data), part, err), err)
                try:
                    for i in range(lib.ms_x509_chain_count(part[0])):
                        der = ffi.new("uint8_t **")
                        n = ffi.new("size_t *")
                        if lib.ms_x509_chain_der(part[0], i, der, n) != 0:
                            raise ResourceError("out of memory")
                        d = take_text(der[0], n[0])
                        check(lib.ms_x509_chain_add_der(chain, d, len(d), err), err)
                finally:
                    lib.ms_x509_chain_free(part[0])
            else:
                check(lib.ms_x509_chain_append_file(chain, fspath(it, "certificate"), err), err)
    except BaseException:
        lib.ms_x509_chain_free(chain)
        raise
    return chain


# ---- files -------------------------------------------------------------------------------


def read_signature(path, follow=True):
    """The bytes of a signature file: a regular file of at most BUNDLE_MAX_SIZE bytes (not a
    symbolic link unless `follow`)."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError("%s: no such file (no signature)" % os.fsdecode(path)) from None
    except OSError as e:
        if not follow and os.path.islink(path):
            raise InputError("%s: a symbolic link, not a signature file" % os.fsdecode(path))
        raise ResourceError("%s: %s" % (os.fsdecode(path), e.strerror)) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not _stat.S_ISREG(st.st_mode):
            raise InputError("%s: not a regular file" % os.fsdecode(path))
        data = f.read(BUNDLE_MAX_SIZE + 1)
    if len(data) > BUNDLE_MAX_SIZE:
        raise InputError("%s: larger than %d bytes" % (os.fsdecode(path), BUNDLE_MAX_SIZE))
    return data


def write_atomic(path, data, mode=0o644):
    """Write `data` to `path` atomically: a temporary file in the same directory, fsync'd, then
    renamed over `path`; nothing is left behind on failure."""
    path = os.fsdecode(path)
    d = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    tmp = os.path.join(d, ".%s.tmp.%d" % (base, os.getpid()))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     mode)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        dfd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ResourceError("%s: %s" % (path, e.strerror or e)) from None


def default_signature_path(model):
    err = new_error()
    p = lib.ms_sign_default_signature_path(fspath(model, "model"), err)
    if p == ffi.NULL:
        raise error_from(err)
    return os.fsdecode(take_text(p))


def inside_model(model, path):
    """`path` relative to the model directory when it lies inside it, else None."""
    model = os.fsdecode(model)
    if not os.path.isdir(model):
        return None
    m = os.path.realpath(model)
    p = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))),
                     os.path.basename(path))
    rel = os.path.relpath(p, m)
    if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir:
        return None
    return rel


def sigstore_dir():
    """Where the trusted roots are: $MODELSEAL_SIGSTORE_DIR, else the library's pkgdatadir."""
    env = os.environ.get("MODELSEAL_SIGSTORE_DIR")
    if env:
        return env
    from . import _config
    return _config.PKGDATADIR


class Result:
    """Base of the verification results: each slot from the keywords (None when not given);
    the result is true when ``verified`` is."""

    __slots__ = ()

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))

    def __bool__(self):
        return bool(self.verified)
