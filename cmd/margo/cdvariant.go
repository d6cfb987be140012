package main

import "strings"

// cdVariant is the coordinate descent the teacher–student experiments
// (fig1, fig4, switch) run for their CD and GD→CD groups: a CD algorithm
// of package steepest and its normalization.
type cdVariant struct {
	Alg        string // cd, cd-layer, cd-kink or cd-layer-kink
	Normalized bool
}

// defaultCD is the --cd of `margo reproduce` (docs/reproduce.md, "Which CD").
const defaultCD = "cd-kink"

// cdVariantWhy records in the manifest why the default is what it is.
const cdVariantWhy = "default cd-kink (normalized flat CD held at kinks, margo's extension): of the two variants that separated all 6 fig1 --quick runs (with cd-layer-kink) the one with the larger mean final γ∞ (1.0e−2 against 9.4e−3; cd-layer 4 of 6; flat unnormalized cd 2 of 6; 2026-12-04, docs/reproduce.md \"Which CD\"); the paper's own CD is not specified (paper.md 2.3); other variants with --cd"

// cdDefaultNormalized is each variant's normalization when --cd names no
// suffix: flat CD unnormalized (normalized flat CD 2-cycles and never
// separates here, docs/reproduce.md "CD gets stuck"), the others normalized.
var cdDefaultNormalized = map[string]bool{"cd": false, "cd-layer": true, "cd-kink": true, "cd-layer-kink": true}

// parseCDVariant parses ALG[:normalized|:unnormalized].
func parseCDVariant(s string) (cdVariant, error) {
	if s == "" {
		s = defaultCD // options built without the flag (sweep plans, manifests of older runs)
	}
	alg, norm, hasNorm := strings.Cut(strings.ToLower(s), ":")
	n, ok := cdDefaultNormalized[alg]
	if !ok {
		return cdVariant{}, usagef("unknown --cd %q (want cd, cd-layer, cd-kink or cd-layer-kink, optionally with :normalized or :unnormalized)", s)
	}
	if hasNorm {
		switch norm {
		case "normalized":
			n = true
		case "unnormalized":
			n = false
		default:
			return cdVariant{}, usagef("--cd %q: want :normalized or :unnormalized after the algorithm", s)
		}
	}
	return cdVariant{Alg: alg, Normalized: n}, nil
}

// String returns e.g. "cd-layer:normalized".
func (v cdVariant) String() string {
	if v.Normalized {
		return v.Alg + ":normalized"
	}
	return v.Alg + ":unnormalized"
}
