import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import attest as attest
from . import dataset as dataset

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
KeyLike = Union[PathLike, bytes]
Progress = Callable[[int, int], Any]
Passphrase = Union[str, bytes, Callable[[], Union[str, bytes]], None]

__version__: str
DEFAULT_SHARD_SIZE: int

class Error(Exception):
    message: str
    code: Optional[int]
    exit_status: int

class VerificationError(Error):
    result: Any

class InputError(Error, ValueError): ...
class ResourceError(Error, OSError): ...

class Signer:
    kind: str
    hint: str
    identity: Optional[str]
    subject: Optional[str]
    issuer: Optional[str]
    signing_time: Optional[int]

class Signature:
    path: str
    digest: str
    name: str
    files: int
    bundle: bytes
    hint: str

class VerifyResult:
    verified: bool
    digest: Optional[str]
    name: Optional[str]
    signer: Optional[Signer]
    files: int
    changed: list[str]
    missing: list[str]
    extra: list[str]
    error: Optional[str]
    def __bool__(self) -> bool: ...

class ChainLink:
    link: str
    name: Optional[str]
    ok: bool
    reason: str
    children: list["ChainLink"]
    def to_dict(self) -> dict[str, Any]: ...

class ChainResult:
    verified: bool
    links: list[ChainLink]
    model_name: Optional[str]
    digest: Optional[str]
    failed: int
    path: Optional[str]
    changed: list[str]
    missing: list[str]
    extra: list[str]
    error: Optional[str]
    def __bool__(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]: ...

def library_version() -> str: ...
def digest(path: PathLike, *, method: str = "files", algorithm: str = "sha256",
           shard_size: int = ..., ignore: Union[PathLike, Iterable[PathLike]] = (),
           ignore_git_paths: bool = True, allow_symlinks: bool = False,
           threads: Optional[int] = None, progress: Optional[Progress] = None) -> str: ...
def sign(path: PathLike, *, key: KeyLike, signature: Optional[PathLike] = None,
         certificate: Optional[KeyLike] = None,
         certificate_chain: Union[KeyLike, Sequence[KeyLike]] = (),
         passphrase: Passphrase = None, method: str = "files", algorithm: str = "sha256",
         shard_size: int = ..., ignore: Union[PathLike, Iterable[PathLike]] = (),
         ignore_git_paths: bool = True, allow_symlinks: bool = False,
         allow_empty: bool = False, threads: Optional[int] = None,
         progress: Optional[Progress] = None) -> Signature: ...
def verify(path: PathLike, *, key: Union[KeyLike, Sequence[KeyLike], None] = None,
           certificate_chain: Union[KeyLike, Sequence[KeyLike]] = (),
           identity: Optional[str] = None, issuer: Optional[str] = None,
           trusted_root: Optional[PathLike] = None, signature: Optional[PathLike] = None,
           ignore: Union[PathLike, Iterable[PathLike]] = (),
           ignore_unsigned_files: bool = False, allow_symlinks: bool = False,
           allow_empty: bool = False, threads: Optional[int] = None,
           progress: Optional[Progress] = None) -> VerifyResult: ...
def verify_chain(path: PathLike, policy: Union[PathLike, Mapping[str, Any]], *,
                 signature: Optional[PathLike] = None, claims: Optional[PathLike] = None,
                 threads: Optional[int] = None,
                 progress: Optional[Progress] = None) -> ChainResult: ...
def load_verified(path: PathLike, policy: Union[PathLike, Mapping[str, Any]],
                  **kwargs: Any) -> str: ...
def sbom(path: PathLike, *, policy: Union[PathLike, Mapping[str, Any], None] = None,
         key: Union[KeyLike, Sequence[KeyLike], None] = None, format: str = "cyclonedx",
         signature: Optional[PathLike] = None,
         claims: Optional[PathLike] = None, name: Optional[str] = None,
         version: Optional[str] = None, supplier: Optional[str] = None,
         license: Optional[str] = None, type_of_model: Optional[str] = None,
         namespace: Optional[str] = None, timestamp: Optional[int] = None,
         threads: Optional[int] = None) -> dict[str, Any]: ...
