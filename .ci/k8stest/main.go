// Command k8stest checks Job manifests the way a Kubernetes API server
// checks a create request, offline: each file named on the command line
// (JSON, as `margo sweep k8s` prints it) is decoded strictly into
// k8s.io/api/batch/v1.Job (unknown or duplicate fields are errors),
// defaulted and converted with the API server's scheme, and passed through
// the create path of the Job registry (rest.FillObjectMetaSystemFields and
// rest.BeforeCreate with
// k8s.io/kubernetes/pkg/registry/batch/job.Strategy: PrepareForCreate,
// Validate, Canonicalize), then its create warnings are printed.
//
// It exits 0 when every file is accepted without warnings, 1 otherwise. It
// is its own Go module so that margo's go.mod does not gain Kubernetes'
// dependencies; .ci/k8s.sh builds and runs it.
package main

import (
	"context"
	"fmt"
	"os"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/batch"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	jobregistry "k8s.io/kubernetes/pkg/registry/batch/job"
	kjson "sigs.k8s.io/json"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8stest JOB.json...")
		os.Exit(2)
	}
	bad := 0
	for _, path := range os.Args[1:] {
		if err := check(path); err != nil {
			fmt.Printf("%s: REJECTED: %v\n", path, err)
			bad++
			continue
		}
		fmt.Printf("%s: accepted\n", path)
	}
	if bad > 0 {
		os.Exit(1)
	}
}

func check(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var v1 batchv1.Job
	strict, err := kjson.UnmarshalStrict(data, &v1, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if len(strict) > 0 {
		return fmt.Errorf("strict decode: %v", strict)
	}
	if v1.APIVersion != "batch/v1" || v1.Kind != "Job" {
		return fmt.Errorf("apiVersion %q kind %q, want batch/v1 Job", v1.APIVersion, v1.Kind)
	}
	legacyscheme.Scheme.Default(&v1)
	var job batch.Job
	if err := legacyscheme.Scheme.Convert(&v1, &job, nil); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	if job.Namespace == "" {
		job.Namespace = metav1.NamespaceDefault
	}
	ctx := genericapirequest.WithNamespace(context.Background(), job.Namespace)
	rest.FillObjectMetaSystemFields(&job) // uid and creation time, as the create handler does
	if err := rest.BeforeCreate(jobregistry.Strategy, ctx, &job); err != nil {
		return err
	}
	if w := jobregistry.Strategy.WarningsOnCreate(ctx, &job); len(w) > 0 {
		return fmt.Errorf("warnings: %v", w)
	}
	return nil
}
