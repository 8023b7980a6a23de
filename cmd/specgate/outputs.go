package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/specgate/specgate/internal/atomicfile"
	"github.com/specgate/specgate/internal/report"
)

// StdoutPath is the report path that means standard output (--json -,
// --junit -, --html -). The human summary then goes to standard error.
const StdoutPath = "-"

// testHookBeforeReports, when set by a test, runs just before a run writes
// its reports (to make a checked path fail at the end).
var testHookBeforeReports func(*runFlags)

// writeError is a report or failure file that could not be written at the
// end of a run although the paths were checked before it: exit code 7.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// checkOutputDir checks, before anything runs, that dir is a directory
// specgate can write in, or can be created: its nearest existing ancestor
// must be a writable directory. Nothing is left behind.
func checkOutputDir(cmd, flagName, dir string) error {
	if dir == "" {
		return usagef("%s: --%s must not be empty", cmd, flagName)
	}
	return checkDirOf(cmd, flagName, dir, dir)
}

// checkDirOf checks directory dir of the value shown of flag flagName.
func checkDirOf(cmd, flagName, shown, dir string) error {
	p := filepath.Clean(dir)
	for {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return usagef("%s: --%s %s: %s is not a directory", cmd, flagName, shown, p)
			}
			if err := probeWritable(p); err != nil {
				return usagef("%s: --%s %s: cannot write in %s: %v", cmd, flagName, shown, p, unwrapPath(err))
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return usagef("%s: --%s %s: %v", cmd, flagName, shown, unwrapPath(err))
		}
		parent := filepath.Dir(p)
		if parent == p {
			return usagef("%s: --%s %s: no existing parent directory", cmd, flagName, shown)
		}
		p = parent
	}
}

// checkOutputFile checks, before anything runs, that a report can be
// written at path: "-" (standard output), or a path whose directory can be
// written or created and that names nothing or a regular file.
func checkOutputFile(cmd, flagName, path string) error {
	if path == "" || path == StdoutPath {
		return nil
	}
	if err := atomicfile.CheckReplaceable(path); err != nil {
		hint := ""
		if errors.Is(err, atomicfile.ErrNotRegular) && flagName != "out" {
			hint = " (use - for standard output)"
		}
		return usagef("%s: --%s: %v%s", cmd, flagName, unwrapPath(err), hint)
	}
	return checkDirOf(cmd, flagName, path, filepath.Dir(path))
}

// probeWritable creates and removes a temporary file in dir.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".specgate-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// unwrapPath drops the operation and path of a *fs.PathError (the message
// names the path already).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// reportOutputs is the JSON, JUnit and HTML report paths of a command.
type reportOutputs struct{ json, junit, html string }

// check checks the three paths and that at most one of them is "-".
func (o reportOutputs) check(cmd string) error {
	n := 0
	for _, c := range []struct{ flag, path string }{{"json", o.json}, {"junit", o.junit}, {"html", o.html}} {
		if c.path == StdoutPath {
			n++
		}
		if err := checkOutputFile(cmd, c.flag, c.path); err != nil {
			return err
		}
	}
	if n > 1 {
		return usagef("%s: at most one of --json, --junit and --html can be - (standard output)", cmd)
	}
	return nil
}

// toStdout reports whether one of the reports goes to standard output.
func (o reportOutputs) toStdout() bool {
	return o.json == StdoutPath || o.junit == StdoutPath || o.html == StdoutPath
}

// write writes the reports: atomically to their files, or to stdout for
// "-". Any failure is a writeError.
func (o reportOutputs) write(rep *report.Report, stdout io.Writer) error {
	var errs []error
	for _, w := range []struct {
		path    string
		file    func(string, *report.Report) error
		marshal func(*report.Report) ([]byte, error)
	}{
		{o.json, report.WriteJSON, report.MarshalJSON},
		{o.junit, report.WriteJUnit, report.MarshalJUnit},
		{o.html, report.WriteHTML, report.RenderHTML},
	} {
		switch w.path {
		case "":
		case StdoutPath:
			data, err := w.marshal(rep)
			if err == nil {
				_, err = stdout.Write(data)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("write report to standard output: %w", err))
			}
		default:
			errs = append(errs, w.file(w.path, rep))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &writeError{err}
	}
	return nil
}
