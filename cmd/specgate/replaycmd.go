package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/specgate/specgate/internal/shellword"
	"github.com/specgate/specgate/internal/target"
)

// modulePath is this program's module; a `go run` outside the module's
// root is replayed through it.
const modulePath = "github.com/specgate/specgate"

// replayFlagNames are the run flags that shape how the target is reached
// or judged, in the order a printed replay command gives them. A run
// passes on every one the user set (and only those: a default stays a
// default), so the printed command reaches the target the way the run
// did. Credentials never appear: --auth-file names a file, the value of
// $SPECGATE_AUTH stays in the environment, and --shim-env NAME=VALUE
// (whose value may be a secret; its flag.Value prints the names only) is
// passed on as --shim-env NAME="$NAME", to be exported before pasting.
var replayFlagNames = []string{
	"profile", "control", "encoding", "via", "callback-listen",
	"ca-cert", "client-cert", "client-key", "auth-file",
	"security", "auth", "spn", "protection",
	"call-timeout", "start-timeout", "quiescence", "settle", "settle-min", "checkpoints", "nettcp-close-wait",
	"shim-env",
}

// setFlags returns, in replayFlagNames order, the flags of fs that were
// set on the command line and that replay accepts, as shell text ready to
// paste: "--name 'value'" with the value quoted.
func setFlags(fs *flag.FlagSet) []string {
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	var out []string
	for _, n := range replayFlagNames {
		v, ok := set[n]
		switch {
		case !ok:
		case n == "shim-env":
			for _, name := range strings.Split(v, ",") {
				if envNameRE.MatchString(name) {
					out = append(out, "--shim-env "+name+`="$`+name+`"`)
				}
			}
		default:
			out = append(out, "--"+n+" "+shellword.Quote(v))
		}
	}
	return out
}

// envNameRE is a portable environment variable name, safe unquoted.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// programWords returns the words that start this program again, the way
// the user started it, so a printed command pastes and works from the
// same directory:
//
//   - a path with a separator (bin/specgate, ./specgate, /opt/x/specgate)
//     stays as it was typed;
//   - a bare name stays bare (the shell found it on PATH);
//   - the temporary binary of `go run` (under a go-build directory)
//     becomes `go run ./cmd/specgate` in the module's root, and
//     `go run github.com/specgate/specgate/cmd/specgate@latest` anywhere
//     else;
//   - a test binary (name.test) becomes the bare "specgate".
func programWords(arg0, cwd string) []string {
	base := filepath.Base(arg0)
	switch {
	case arg0 == "":
		return []string{"specgate"}
	case strings.HasSuffix(base, ".test"):
		return []string{"specgate"}
	case isGoRunBinary(arg0):
		if isModuleRoot(cwd) {
			return []string{"go", "run", "./cmd/specgate"}
		}
		return []string{"go", "run", modulePath + "/cmd/specgate@latest"}
	case strings.ContainsRune(arg0, '/') || strings.ContainsRune(arg0, os.PathSeparator):
		return []string{arg0}
	}
	if _, err := exec.LookPath(arg0); err != nil {
		// Not on PATH (started through exec with a bare name): the
		// conventional name is the best guess.
		return []string{"specgate"}
	}
	return []string{arg0}
}

// isGoRunBinary reports whether path is a binary `go run` built in its
// temporary work directory ($TMPDIR/go-buildNNN/b001/exe/NAME).
func isGoRunBinary(path string) bool {
	p := filepath.ToSlash(path)
	return strings.Contains(p, "/go-build") && strings.Contains(p, "/exe/")
}

// isModuleRoot reports whether dir holds this module's go.mod.
func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "module" {
			return f[1] == modulePath
		}
	}
	return false
}

// program returns the shell-quoted words that start this program again.
func program() string {
	cwd, _ := os.Getwd()
	return shellJoin(programWords(os.Args[0], cwd))
}

// shellJoin shell-quotes every word and joins them with spaces.
func shellJoin(words []string) string { return shellword.Join(words...) }

// replayCommandWith builds the command that replays the failure file at
// path against the run's target, reached the way the run reached it:
// prog is the program (program()), extra the run's connection flags as
// shell text (setFlags). Every word is shell-quoted.
func replayCommandWith(prog, path, tgt string, extra []string) string {
	words := []string{"replay", path}
	if tgt != target.Embedded && tgt != "" {
		words = append(words, "--target", tgt)
	}
	return strings.Join(append([]string{prog, shellJoin(words)}, extra...), " ")
}
