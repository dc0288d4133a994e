#!/usr/bin/env sh
# Migrate, load the seed into an empty database, then serve. `make run` and the
# container's entrypoint both start the service through this script.
set -eu
BIN="${AUTOFACTS_BIN:-$(dirname "$0")/../.venv/bin}"
"$BIN/autofacts" migrate
"$BIN/autofacts" seed
exec "$BIN/autofacts" serve
