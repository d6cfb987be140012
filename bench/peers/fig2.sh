#!/bin/sh
# Wall time of `margo reproduce fig2` (the full experiment: 18 runs × 5,000
# steps, test-set evaluation at the logged steps, plots) next to the same 18
# runs by the PyTorch peer (bench/peers/fig2_torch.py), alternating, ROUNDS
# times (default 1). Both use 2 workers × 1 thread on 2 cores. Run from the
# repository root: sh bench/peers/fig2.sh [ROUNDS] [MARGO_BINARY]
set -eu
rounds=${1:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
margo=${2:-}
if [ -z "$margo" ]; then
	go build -o "$work/margo" ./cmd/margo
	margo="$work/margo"
fi
"$margo" reproduce fig2 --out "$work/warm" --steps 10 --quiet >/dev/null # MNIST located and cached
i=0
while [ "$i" -lt "$rounds" ]; do
	/usr/bin/time -f "margo fig2: wall %e s, user %U s, sys %S s" \
		"$margo" reproduce fig2 --out "$work/margo$i" --quiet >/dev/null
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/time -f "torch fig2: wall %e s, user %U s, sys %S s" \
		/usr/bin/python3 bench/peers/fig2_torch.py --out "$work/torch$i" >/dev/null
	i=$((i + 1))
done
