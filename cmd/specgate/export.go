package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/specgate/specgate/internal/atomicfile"
	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/reproducer"
)

const exportHelp = `Usage: specgate export FILE --format F [--out PATH]

Writes a standalone reproducer of a saved failure file, one that needs
nothing of specgate:

  vdi-script  (vdi failures) a directory with script.jsonl, one line per
              step with the exact shim request and the answers the model
              allows, and run.py, a Python 3 stdlib runner:
                python3 PATH/run.py --exec "CMD ARGS"   or   --tcp HOST:PORT
              It prints the first mismatch and exits 1, or exits 0.
  go-test     (vdi failures) a _test.go file that replays the sequence
              through the public checker API (suites/checker) and fails on
              a divergence; $SPECGATE_TARGET overrides the recorded target.
  ipam-curl   (ipam failures) a directory with run.sh, a POSIX sh script
              that posts each step's SOAP envelope with curl, and
              listener.py, a Python 3 stdlib callback listener:
                sh PATH/run.sh SOAP_URL [CONTROL_URL]
              The envelopes are written out in run.sh; only MessageIDs and
              callback addresses are filled in at run time. It prints the
              first step whose answer or callbacks the model does not allow
              and exits 1, exits 0 when every step matched, 2 on bad
              arguments, 3 when the server, control endpoint or listener
              fails.

--out defaults to a name derived from the failure file, in the current
directory (a directory for vdi-script and ipam-curl, a _test.go file for
go-test).

Exit status: 0 when written, 2 on a bad file, format or flag (or a failure
of another model than the format drives), 7 when the output cannot be written.

Flags:
`

func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "reproducer format: "+strings.Join(reproducer.Formats, ", "))
	out := fs.String("out", "", "output path (default: derived from the failure file)")
	pkg := fs.String("package", "repro_test", "go-test: package clause of the generated file")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), exportHelp)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("export: %v", err)
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("export: unexpected argument %q", fs.Arg(0))
	}
	if file == "" {
		return usagef("export: missing failure file (usage: specgate export FILE --format F [--out PATH])")
	}
	if *format == "" {
		return usagef("export: missing --format (want %s)", strings.Join(reproducer.Formats, ", "))
	}
	ff, err := failfile.Read(file, validAction)
	if err != nil {
		return usagef("export: %v", err)
	}
	files, err := reproducer.Export(ff, *format, *pkg)
	if err != nil {
		return usagef("export: %v", err)
	}
	if *out == "" {
		*out = reproducer.DefaultOut(ff, *format)
	}
	if err := writeExport(*out, reproducer.Dir(*format), files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s reproducer of %s to %s\n", *format, filepath.Base(file), *out)
	return nil
}

// writeExport writes files atomically: into directory out when dir is
// set (creating it), else the single file to out.
func writeExport(out string, dir bool, files []reproducer.File) error {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = out
		if dir {
			paths[i] = filepath.Join(out, f.Name)
		}
	}
	if dir {
		if st, err := os.Stat(out); err == nil && !st.IsDir() {
			return usagef("export: --out %s exists and is not a directory", out)
		}
	} else if !strings.HasSuffix(out, "_test.go") {
		return usagef("export: --out %s: a go-test file must end in _test.go", out)
	}
	for _, p := range paths {
		if err := atomicfile.CheckReplaceable(p); err != nil {
			return usagef("export: %v", err)
		}
	}
	if dir {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return &writeError{fmt.Errorf("export: %w", err)}
		}
	}
	for i, f := range files {
		if err := atomicfile.Write(paths[i], f.Data, f.Mode); err != nil {
			return &writeError{fmt.Errorf("export: %w", err)}
		}
	}
	return nil
}
