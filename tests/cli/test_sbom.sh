#!/bin/sh
# modelseal sbom (work in progress).
. "$(dirname "$0")/lib.sh"
set -e
finish
