package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/margo-lab/margo/verify"
)

// cmdVerify runs package verify's numerical checks of the theory
// (homogeneity, Euler, gradients, monotone soft margins, KKT, oracles) on
// random cases, or replays one saved failing case.
func cmdVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify")
	cfg := verify.Config{}
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the random cases")
	fs.IntVar(&cfg.Cases, "cases", 20, "cases per check")
	var checks []string
	addChecks := func(s string) error {
		for _, c := range strings.Split(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				checks = append(checks, c)
			}
		}
		return nil
	}
	fs.Func("check", "run only this check (repeatable, or comma-separated; default all: "+strings.Join(verify.Checks(), ", ")+")", addChecks)
	fs.Func("checks", "the same as --check", addChecks)
	fs.BoolVar(&cfg.Short, "short", false, "shorter training trajectories")
	fs.StringVar(&cfg.FailDir, "fail-dir", ".", "where shrunk failing cases are written (JSON)")
	replay := fs.String("replay", "", "replay a failing case FILE.json instead")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if cfg.Cases < 1 {
		return usagef("--cases must be positive, got %d", cfg.Cases)
	}
	cfg.Checks = checks
	var rep verify.Report
	if *replay != "" {
		rep, err = verify.Replay(*replay, stdout)
	} else {
		rep, err = verify.Run(cfg, stdout)
	}
	if err != nil {
		return err
	}
	switch {
	case *replay != "" && len(rep.Checks) == 1 && rep.Checks[0].Err != "":
		return fmt.Errorf("replay %s: the case cannot run: %s", *replay, oneLine(rep.Checks[0].Err))
	case *replay != "" && rep.Failed():
		return errors.New("the replayed case fails (see the table)")
	case rep.Failed():
		return errors.New("some checks failed (see the table; shrunk cases were written to --fail-dir)")
	}
	return nil
}
