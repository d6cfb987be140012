package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/margo-lab/margo/verify"
)

// The verify subcommand is routed here from main.go.
func init() { cmdVerify = verifyTo }

// runVerify implements `margo verify [--seed S] [--cases N] [--check NAME]
// [--short] [--out DIR]` and `margo verify --replay FILE`: it runs the
// property checks of package verify on random cases drawn from the seed,
// prints the table (check, cases, failures, skipped, worst residual, bound,
// ratio, where), writes the shrunk failing case of each failing check to a
// JSON file in DIR and fails when any case failed.
func runVerify(args []string) error {
	return verifyTo(args, os.Stdout, os.Stderr)
}

// verifyTo is runVerify with its output streams.
func verifyTo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "seed of the random cases")
	cases := fs.Int("cases", 20, "cases per check")
	var checks []string
	fs.Func("check", "run only this check (repeatable or comma-separated): "+strings.Join(verify.Checks(), ", "), func(s string) error {
		for _, c := range strings.Split(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				checks = append(checks, c)
			}
		}
		return nil
	})
	short := fs.Bool("short", false, "shorter training trajectories (slow machines, emulators)")
	out := fs.String("out", ".", "directory for shrunk failing cases")
	replay := fs.String("replay", "", "re-run the failing case stored in this JSON file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: margo verify [--seed S] [--cases N] [--check NAME] [--short] [--out DIR]")
		fmt.Fprintln(stderr, "       margo verify --replay FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("verify: unexpected arguments %q", fs.Args())
	}
	if *cases < 1 {
		return fmt.Errorf("verify: --cases %d, want ≥ 1", *cases)
	}
	var rep verify.Report
	var err error
	if *replay != "" {
		rep, err = verify.Replay(*replay, stdout)
	} else {
		rep, err = verify.Run(verify.Config{Seed: *seed, Cases: *cases, Checks: checks, Short: *short, FailDir: *out}, stdout)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		n := 0
		for _, c := range rep.Checks {
			if c.Failures > 0 {
				n++
			}
		}
		return fmt.Errorf("verify: %d of %d checks failed", n, len(rep.Checks))
	}
	return nil
}
