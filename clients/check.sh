#!/usr/bin/env bash
# What CI checks on the clients (tests/test_generated_clients.py), by hand against a running
# server: lint its /openapi.json, generate the TypeScript types and type-check usage.ts
# against them, generate the Python client. Every tool at its pinned version; any warning
# or error stops the script.
#   clients/check.sh [BASE_URL]        (default: http://127.0.0.1:8000)
# Writes clients/openapi.json and clients/generated/ (both git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
base_url="${1:-http://127.0.0.1:8000}"
venv_bin="$(cd .. && pwd)/.venv/bin"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1

[ -d node_modules ] || npm ci --no-audit --no-fund

curl -fsS "$base_url/openapi.json" -o openapi.json

config=()
[ -f ../redocly.yaml ] && config=(--config ../redocly.yaml)
npx --no-install redocly lint openapi.json "${config[@]}"

npx --no-install openapi-typescript openapi.json -o generated/api.d.ts
npx --no-install tsc -p .
echo "usage.ts type-checks against generated/api.d.ts"

# The generator's post hooks format the package with the virtualenv's ruff.
PATH="$venv_bin:$PATH" "$venv_bin/openapi-python-client" generate --path openapi.json \
    --output-path generated/python/autofacts_client --meta none --overwrite --fail-on-warning
