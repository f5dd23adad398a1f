"""Build of the modelseal Python package: the cffi extension modelseal._native (API mode,
against the installed libmodelseal found with pkg-config) and the version, which is the
library's (pkg-config --modversion modelseal)."""
import os
import subprocess

from setuptools import setup


def pkg_config(*args):
    exe = os.environ.get("PKG_CONFIG", "pkg-config")
    try:
        return subprocess.run([exe, *args, "modelseal"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("modelseal: pkg-config cannot find libmodelseal (install the C "
                         "library, or set PKG_CONFIG_PATH to its lib/pkgconfig): %s" % e)


here = os.path.dirname(os.path.abspath(__file__))
version = pkg_config("--modversion")
pkgdatadir = pkg_config("--variable=pkgdatadir")
with open(os.path.join(here, "modelseal", "_version.py"), "w") as f:
    f.write("# written by setup.py: the version of the libmodelseal it was built against\n"
            "__version__ = %r\n" % version)
with open(os.path.join(here, "modelseal", "_config.py"), "w") as f:
    f.write("# written by setup.py: the library's pkgdatadir (trusted roots, signing configs)\n"
            "PKGDATADIR = %r\n" % pkgdatadir)

setup(version=version, cffi_modules=["modelseal_build.py:ffibuilder"])
