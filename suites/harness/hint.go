package harness

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/specgate/specgate/internal/shellword"
	"github.com/specgate/specgate/internal/target"
)

// ReplayHint is the command that reruns one property spec exactly, against
// the same target reached the same way: this binary as it was invoked
// (bin/specgate-conformance; `go test ./suites/conformance -args` for a
// `go test` binary), the connection flags, the profile, the property
// checks, the Ginkgo seed the spec drew its sequences from, and a label
// filter that selects that spec alone. Every word is shell-quoted.
func ReplayHint(model, profile string) string {
	words := programWords(os.Args[0])
	if Spec.Kind != "" && Spec.Kind != target.Embedded {
		words = append(words, "-target", Spec.Raw)
	}
	if *controlFlag != "" {
		words = append(words, "-control", *controlFlag)
	}
	words = append(words, "-profile", profile)
	if f := flag.Lookup("property-checks"); f != nil && f.Value.String() != f.DefValue {
		words = append(words, "-property-checks", f.Value.String())
	}
	words = append(words, "-ginkgo.seed", strconv.FormatInt(GinkgoRandomSeed(), 10),
		"-ginkgo.label-filter", model+" && property && "+profile)
	return shellword.Join(words...)
}

// programWords returns the words that start this binary again.
func programWords(arg0 string) []string {
	p := filepath.ToSlash(arg0)
	if strings.Contains(p, "/go-build") {
		// A `go test` binary in the build cache's work directory, gone
		// once go test ends.
		return []string{"go", "test", "./suites/conformance", "-args"}
	}
	return []string{arg0}
}
