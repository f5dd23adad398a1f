"""PEP 517 build backend of the modelseal package (pyproject.toml: backend-path ["."]).

The package is setuptools + cffi (setup.py, modelseal_build.py); this module hands every hook
to setuptools.build_meta. What it adds is where the build tools come from. pip builds in an
isolated environment: it installs the `requires` of pyproject.toml there from the package
index and hides the site-packages of the interpreter running it. Offline, as on a Debian 12
machine with only Debian's packages, that index is not reachable, so `requires` is empty and
this backend looks for setuptools (>= 61), cffi (>= 1.15) and wheel in the interpreter's own
site-packages (a venv made with --system-site-packages sees Debian's python3-setuptools,
python3-cffi and python3-wheel). If one of them is missing or too old there, the
get_requires_for_build_* hooks ask pip for all three, which then needs the index, as a
setuptools package would.
"""
import importlib
import os
import site
import sys

_TOOLS = (("setuptools", (61,)), ("cffi", (1, 15)), ("wheel", (0, 32)))
_REQUIRES = ["setuptools>=61", "cffi>=1.15", "wheel>=0.32"]


def _version(text):
    parts = []
    for piece in str(text).split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if digits != piece:
            break
    return tuple(parts)


def _own_tools():
    """True when the build tools are importable, after adding back the site-packages of the
    interpreter running the build (pip's isolation removed them from sys.path; they are
    appended, so a build environment pip populated keeps precedence)."""
    if hasattr(site, "getsitepackages"):
        for d in site.getsitepackages():
            if os.path.isdir(d) and d not in sys.path:
                site.addsitedir(d)
    for name, least in _TOOLS:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            return False
        if _version(getattr(mod, "__version__", "0")) < least:
            return False
    return True


def _setuptools():
    if not _own_tools():
        raise RuntimeError("modelseal: building needs setuptools>=61, cffi>=1.15 and wheel "
                           "(Debian: apt install python3-setuptools python3-cffi "
                           "python3-wheel, and a venv made with --system-site-packages)")
    return importlib.import_module("setuptools.build_meta")


def _requires():
    if _own_tools():
        # setuptools' own answer names wheel (found above); nothing is fetched
        return []
    return list(_REQUIRES)


def get_requires_for_build_wheel(config_settings=None):
    return _requires()


def get_requires_for_build_sdist(config_settings=None):
    return _requires()


def get_requires_for_build_editable(config_settings=None):
    return _requires()


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _setuptools().prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _setuptools().build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    return _setuptools().build_sdist(sdist_directory, config_settings)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _setuptools().prepare_metadata_for_build_editable(metadata_directory,
                                                             config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _setuptools().build_editable(wheel_directory, config_settings, metadata_directory)
