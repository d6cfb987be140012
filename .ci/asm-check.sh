#!/usr/bin/env bash
# Checks of asm/'s assembly that need tools outside Go:
#   - every arm64 WORD is the encoding of the instruction in its comment
#     (aarch64-linux-gnu-as + objdump from binutils-aarch64-linux-gnu).
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
