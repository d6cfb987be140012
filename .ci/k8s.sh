#!/usr/bin/env bash
# Offline test of `margo sweep k8s`: no cluster can run here, so the printed
# batch/v1 Job goes through what an API server does on create, in
# .ci/k8stest (its own Go module: strict decoding into k8s.io/api/batch/v1.Job,
# defaulting and conversion with the API server's scheme, and the create path
# of k8s.io/kubernetes/pkg/registry/batch/job). The checker is built once and
# cached by the hash of its sources. Measured here: a cold compile (modules
# already downloaded, empty GOCACHE) took 440 s on 2 shared cores at load
# ~12; the k8s.io modules alone are 193 MB to download; with the cached
# checker a run takes 3-4 s. Cache $MARGO_K8STEST_CACHE (default
# ~/.cache/margo-k8stest) between CI runs to pay the build once. Mutated manifests must be
# rejected, so the check is shown to be able to fail.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

fail() { printf 'k8s.sh: FAIL: %s\n' "$*" >&2; exit 1; }

if ! command -v jq >/dev/null; then
	apt-get update -qq
	apt-get install -y -qq jq >/dev/null
fi

cache=${MARGO_K8STEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/margo-k8stest}
sum=$(cat .ci/k8stest/go.mod .ci/k8stest/go.sum .ci/k8stest/*.go | sha256sum | cut -c1-16)
checker=$cache/k8stest-$sum
if [ ! -x "$checker" ]; then
	echo "k8s.sh: building the checker (cached in $cache)"
	mkdir -p "$cache"
	(cd .ci/k8stest && go build -o "$checker.tmp" .)
	mv "$checker.tmp" "$checker"
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
go build -o "$T/margo" ./cmd/margo
M=$T/margo
"$M" sweep plan fig1 --quick --seeds 2 --steps 10 --d 16 --per-task 3 --out "$T/sw" >/dev/null

"$M" sweep k8s "$T/sw" --image registry.example.org/margo:0.1.0 --claim margo-sweep >"$T/default.json"
"$M" sweep k8s "$T/sw" --image margo --claim sweep-data --mount /data/fig1 --parallelism 2 --retries 0 --cpus 8 --mem 1500Mi >"$T/custom.json"
"$M" sweep k8s "$T/sw" --image margo --claim c --parallelism 100 >"$T/wide.json"
"$checker" "$T/default.json" "$T/custom.json" "$T/wide.json"
[ "$(jq .spec.completions "$T/default.json")" = 6 ] || fail "completions is not the plan's 6 tasks"

# Each mutation must be rejected.
mutate() { jq "$2" "$T/default.json" >"$T/bad-$1.json"; }
mutate restart-policy '.spec.template.spec.restartPolicy = "OnFailure"'
mutate no-backoff-per-index 'del(.spec.backoffLimitPerIndex)'
mutate non-indexed '.spec.completionMode = "NonIndexed"'
mutate bad-action '.spec.podFailurePolicy.rules[0].action = "Skip"'
mutate unknown-field '.spec.template.spec.containers[0].volumeMount = []'
mutate no-claim '.spec.template.spec.volumes[0].persistentVolumeClaim.claimName = ""'
for f in "$T"/bad-*.json; do
	if "$checker" "$f" >"$T/out" 2>&1; then
		cat "$T/out"
		fail "$(basename "$f") was accepted"
	fi
	cat "$T/out"
done
echo "k8s.sh: margo sweep k8s manifests accepted, 6 mutations rejected"
