#!/usr/bin/env bash
# Checks of asm/'s assembly that need tools outside Go:
#   - every arm64 WORD is the encoding of the instruction in its comment
#     (aarch64-linux-gnu-as + objdump from binutils-aarch64-linux-gnu);
#   - `go generate ./asm/...` (the avo generators in asm/_gen, their own
#     module) reproduces the committed amd64 .s files byte for byte.
# Installs what it needs, starts no process that outlives it, exits non-zero
# on any failure.
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

step "go generate ./asm/... reproduces the committed assembly"
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
	echo "the generated assembly differs from the committed files (restored them): rerun go generate ./asm/... and commit"
	exit 1
fi
generated=$(grep -l '^// Code generated .* DO NOT EDIT\.$' asm/*.s | wc -l)
echo "$generated generated .s files reproduced"
