#!/bin/sh
# Installs what the peers of margo's training step need (docs/benchmarks.md):
# Debian's PyTorch 1.13 and NumPy 1.24, threadpoolctl, and OpenBLAS as the
# system BLAS (without it numpy and torch fall back to the reference BLAS,
# which is not a fair peer). Run as root on Debian 12 (bookworm).
set -eu
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	python3-torch python3-numpy python3-threadpoolctl libopenblas0-pthread
/usr/bin/python3 -c 'import threadpoolctl, numpy, torch; print("torch", torch.__version__, "numpy", numpy.__version__, [(l["internal_api"], l.get("version")) for l in threadpoolctl.threadpool_info()])'
