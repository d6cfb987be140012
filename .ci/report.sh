#!/usr/bin/env bash
# Issue 21: renders the report page of `margo reproduce fig2 --quick` in
# headless Chromium and checks it (cmd/margo/report_browser_test.go): the
# page loads without errors, the summary table has one row per algorithm
# with the terminal summary's numbers, the claim table holds the terminal's
# claims, and the figure is present and not blank in a screenshot.
# Installs Debian's chromium if it is missing. About 1–2 minutes on 2 cores
# (the six quick runs take 20–60 s; Chromium starts twice).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null 2>&1; then
	printf '\n== install chromium\n'
	apt-get update -qq
	apt-get install -y -qq chromium >/dev/null
fi
printf '\n== report.html in headless chromium (fig2 --quick)\n'
# The test removes its temporary directories and kills Chromium's process
# group if it hangs.
out=$(MARGO_CHROMIUM=$(command -v chromium) go test -count=1 -run '^TestReportInChromium$' -v ./cmd/margo/ 2>&1) || {
	printf '%s\n' "$out"
	exit 1
}
printf '%s\n' "$out" | grep -v '^=== RUN'
if ! printf '%s\n' "$out" | grep -q -- '--- PASS: TestReportInChromium'; then
	echo "TestReportInChromium did not run (skipped?)"
	exit 1
fi
