package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/specgate/specgate/internal/atomicfile"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/report"
)

const corpusHelp = `Usage: specgate corpus add --corpus DIR PATH...

Grows a regression corpus (the directory "specgate run --corpus DIR"
replays before fuzzing) with failure files. Each PATH is a failure file or
a directory of them (its *.json, e.g. specgate-out/failures). A failure
whose signature (model, kind, clause, cell, observed) is already in
the corpus, or earlier in the same command, is not added again, so a known
deviation is never counted twice. DIR is created when missing; files are
written atomically. Prints how many were added and how many were already
there.

Exit codes: 0 done, 2 a PATH is missing or not a failure file, or DIR holds
a file that is not one.

Flags:
`

func cmdCorpus(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, corpusHelp)
		if len(args) == 0 {
			return usagef("corpus: missing subcommand (want add)")
		}
		return errHelp
	}
	if args[0] != "add" {
		return usagef("corpus: unknown subcommand %q (want add)", args[0])
	}
	fset := flag.NewFlagSet("corpus add", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dir := fset.String("corpus", "", "the corpus directory to grow (required)")
	fset.Usage = func() { fmt.Fprint(fset.Output(), corpusHelp); fset.PrintDefaults() }
	if err := parseFlags(fset, args[1:]); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("corpus add: %v", err)
	}
	if *dir == "" {
		return usagef("corpus add: --corpus DIR is required")
	}
	if fset.NArg() == 0 {
		return usagef("corpus add: no failure files or directories given")
	}
	added, skipped, err := corpusAdd(*dir, fset.Args())
	if err != nil {
		return usagef("corpus add: %v", err)
	}
	fmt.Fprintf(stdout, "corpus %s: added %d, %d already there (same signature)\n", *dir, len(added), skipped)
	for _, p := range added {
		fmt.Fprintf(stdout, "  + %s\n", p)
	}
	return nil
}

// corpusAdd copies the failure files named by paths (files, or directories
// whose *.json are taken) into the corpus dir, skipping every failure
// whose signature the corpus already holds. It returns the paths written
// and the number skipped.
func corpusAdd(dir string, paths []string) (added []string, skipped int, err error) {
	existing, err := readCorpus(dir)
	if err != nil {
		return nil, 0, err
	}
	have := map[string]bool{}
	names := map[string]bool{}
	for _, f := range existing {
		have[corpusSignature(f)] = true
		names[filepath.Base(f.Path)] = true
	}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", p, err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		in, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", p, err)
		}
		sort.Strings(in)
		files = append(files, in...)
	}
	for _, p := range files {
		f, err := failfile.Read(p, validAction)
		if err != nil {
			return added, skipped, err
		}
		sig := corpusSignature(f)
		if have[sig] {
			skipped++
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return added, skipped, fmt.Errorf("read %s: %w", p, err)
		}
		name := freeName(names, filepath.Base(p))
		dst := filepath.Join(dir, name)
		if err := atomicfile.Write(dst, data, 0o644); err != nil {
			return added, skipped, fmt.Errorf("add to corpus: %w", err)
		}
		have[sig], names[name] = true, true
		added = append(added, dst)
	}
	return added, skipped, nil
}

// corpusSignature is the identity of a corpus entry: its model and the
// failure's signature (kind, clause, cell and observed outcome; one per
// kind for a transport fault), the signature the engine reports each
// failure once by.
func corpusSignature(f *failfile.File) string { return divergenceSignature(f.Model, f.Divergence) }

func divergenceSignature(model string, d engine.Divergence) string {
	return model + "|" + d.Signature()
}

// freeName returns name, or name with a numeric suffix when the corpus
// already holds a file of that name (with another signature).
func freeName(taken map[string]bool, name string) string {
	if !taken[name] {
		return name
	}
	stem := strings.TrimSuffix(name, ".json")
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s-%d.json", stem, i)
		if !taken[n] {
			return n
		}
	}
}

// readCorpus loads every failure file of a regression corpus directory. A
// directory that does not exist yet is an empty corpus (the first night of
// a gate that grows it); a path that exists but is not a directory, or a
// file in it that is not a failure file, is an error.
func readCorpus(dir string) ([]*failfile.File, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--corpus %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--corpus %s is not a directory", dir)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("--corpus %s: %w", dir, err)
	}
	var out []*failfile.File
	for _, p := range paths {
		f, err := failfile.Read(p, validAction)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		f.Path = p
		out = append(out, f)
	}
	return out, nil
}

// addGateFlags adds the nightly-gate flags of specgate run and says in
// --corpus's help that a missing corpus directory is an empty corpus.
func addGateFlags(fs *flag.FlagSet, rf *runFlags) {
	fs.BoolVar(&rf.baselineOptional, "baseline-optional", false, "with --baseline: a baseline file that does not exist yet is an empty baseline (a first night); one that exists must be valid")
	if f := fs.Lookup("corpus"); f != nil {
		f.Usage += "; a directory that does not exist yet is an empty corpus; grow it with specgate corpus add"
	}
}

// loadBaseline reads the --baseline file. With optional set, a file that
// does not exist is an empty baseline (nil, nil): the first night, before
// any baseline was written. Every other problem, and a missing file
// without optional, is an error.
func loadBaseline(path string, optional bool) (*report.BaselineFile, error) {
	if optional {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	return report.ReadBaseline(path)
}

// orReplayed extends the engine's view of the baseline with the
// signatures the corpus replay already reported in this run: the engine
// goes on past them as past known ones, and they do not count toward
// --max-failures a second time.
func orReplayed(listed func(*engine.Divergence) bool, model string, replayed map[string]bool) func(*engine.Divergence) bool {
	if len(replayed) == 0 {
		return listed
	}
	return func(d *engine.Divergence) bool {
		return replayed[divergenceSignature(model, *d)] || (listed != nil && listed(d))
	}
}
