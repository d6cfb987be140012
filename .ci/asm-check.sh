#!/usr/bin/env bash
# Checks of asm/'s assembly that need tools outside Go:
#   - every arm64 WORD is the encoding of the instruction in its comment
#     (aarch64-linux-gnu-as + objdump from binutils-aarch64-linux-gnu), and
#     the encoder that writes those WORDs (asm/_gen/arm64) passes its tests;
#   - `go generate ./asm/...` (asm/_gen, its own module: the avo generators
#     of the amd64 files and the arm64 generator ./neon) reproduces every
#     committed asm/*.s byte for byte, and no .s file is hand-written.
# Installs what it needs, starts no process that outlives it, exits non-zero
# on any failure. About 30 s on 2 busy cores with a warm build cache.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

step() { printf '\n== %s\n' "$*"; }

if ! command -v aarch64-linux-gnu-as >/dev/null 2>&1 || ! command -v aarch64-linux-gnu-objdump >/dev/null 2>&1; then
	step "install binutils-aarch64-linux-gnu"
	apt-get update -qq
	apt-get install -y -qq binutils-aarch64-linux-gnu >/dev/null
fi

step "arm64 WORD encodings against aarch64-linux-gnu-as"
MARGO_ASM_CHECK=1 go test -count=1 -run '^(TestARM64Encodings|TestARM64EncodingsCatchAlteredWord|TestReadARMWordsRejectsBareWord)$' -v ./asm/

step "the arm64 encoder and emitter (asm/_gen/arm64)"
go -C asm/_gen test -count=1 ./arm64/

step "go generate ./asm/... reproduces the committed assembly (amd64 and arm64)"
saved=$(mktemp -d)
trap 'rm -rf "$saved"' EXIT
cp asm/*.s "$saved"/
if ! go generate ./asm/...; then
	cp "$saved"/*.s asm/
	echo "go generate failed"
	exit 1
fi
if ! diff -u "$saved" asm --exclude='*.go' --exclude='_gen' --exclude=testdata; then
	cp "$saved"/*.s asm/
	echo "the generated assembly differs from the committed files (restored them): edit asm/_gen, rerun go generate ./asm/... and commit"
	exit 1
fi
total=$(ls asm/*.s | wc -l)
hand=$(grep -L '^// Code generated .* DO NOT EDIT\.$' asm/*.s || true)
echo "$((total - $(echo -n "$hand" | grep -c .))) of $total .s files generated and reproduced"
if [ -n "$hand" ]; then
	echo "hand-written .s files (generate them in asm/_gen, or list them with the reason in asm/doc.go and here):"
	echo "$hand"
	exit 1
fi
