#!/usr/bin/env bash
# Rewrites the expected hashes of the golden tests (operator/sources/knative/testdata/hash/):
# for each <case>.yaml, <case>.hash holds what Knative's own code (main.go) gives it.
# Review the diff afterwards: a changed hash means Knative's hash or a case changed.
set -euo pipefail
hashref_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
testdata="$hashref_dir/../../../operator/sources/knative/testdata/hash"
hashref="$(bash "$hashref_dir/build.sh")"

shopt -s nullglob
cases=("$testdata"/*.yaml)
[[ ${#cases[@]} -gt 0 ]] || { echo "no cases in $testdata" >&2; exit 1; }
for input in "${cases[@]}"; do
  hash="$("$hashref" "$input")"
  # One object per case: several lines would mean a file with several documents.
  [[ "$hash" =~ ^[0-9a-f]{64}$ ]] || { echo "$input: expected one hash, got: $hash" >&2; exit 1; }
  printf '%s\n' "$hash" >"${input%.yaml}.hash"
done
echo "wrote ${#cases[@]} expected hashes in $testdata" >&2
