import os
from typing import Iterable, Optional, Sequence, Union

from . import KeyLike, Passphrase, PathLike, Signer

SUFFIX: str

class DatasetInfo:
    name: str
    version: Optional[str]
    source: Optional[str]
    license: Optional[str]
    ignore: list[str]
    algorithm: str
    files: int
    bytes: int
    digest: str
    manifest_digest: Optional[str]
    path: str

class DatasetVerifyResult:
    verified: bool
    info: DatasetInfo
    signer: Optional[Signer]
    files: int
    missing: list[str]
    extra: list[str]
    changed: list[str]
    def __bool__(self) -> bool: ...

def manifest(directory: PathLike, *, name: str, output: Optional[PathLike] = None,
             version: Optional[str] = None, source: Optional[str] = None,
             license: Optional[str] = None, algorithm: str = "sha256",
             ignore: Union[PathLike, Iterable[PathLike]] = (), threads: Optional[int] = None,
             allow_lfs_pointers: bool = False) -> DatasetInfo: ...
def sign(manifest_path: PathLike, *, key: KeyLike, signature: Optional[PathLike] = None,
         passphrase: Passphrase = None) -> str: ...
def verify(manifest_path: PathLike, directory: Optional[PathLike] = None, *,
           key: Union[KeyLike, Sequence[KeyLike], None] = None,
           signature: Optional[PathLike] = None,
           threads: Optional[int] = None) -> DatasetVerifyResult: ...
