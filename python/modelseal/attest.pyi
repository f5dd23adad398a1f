from typing import Any, Iterable, Mapping, Optional, Tuple, Union

from . import KeyLike, Passphrase, PathLike

def provenance(model: PathLike, *, key: KeyLike, builder_id: str,
               passphrase: Passphrase = None, build_type: Optional[str] = None,
               parameters: Optional[Mapping[str, Any]] = None,
               datasets: Iterable[Union[PathLike, Tuple[PathLike, PathLike]]] = (),
               base_models: Iterable[PathLike] = (),
               dependencies: Iterable[Union[str, Tuple[str, Optional[str]]]] = (),
               git_repo: Optional[PathLike] = None, git_remote: Optional[str] = None,
               allow_dirty: bool = False, invocation_id: Optional[str] = None,
               started_on: Optional[str] = None, finished_on: Optional[str] = None,
               signature: Optional[PathLike] = None,
               claims: Optional[PathLike] = None) -> int: ...
