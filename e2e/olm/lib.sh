# Shared by the OLM tool scripts; sourced, not run: the cache and build_go_tool of
# e2e/cluster/lib.sh, and the pinned versions.
olm_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cluster/lib.sh
source "$olm_dir/../cluster/lib.sh"
# shellcheck source=versions.env
source "$olm_dir/versions.env"
