package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/specgate/specgate/internal/report"
	"github.com/specgate/specgate/internal/statement"
	"github.com/specgate/specgate/internal/vdiapi"
	"github.com/specgate/specgate/models"
)

const statementHelp = `Usage:
  specgate statement init --model NAME [--profile P]   print a statement to edit
  specgate statement check FILE...                     check statements (exit 0 or 2)

A statement declares, for every ambiguity of a model, the side the
implementation takes, and which optional capabilities it has. Pass it to
run or replay with --statement FILE (one per model) instead of --profile.
`

// cmdStatement is "specgate statement init|check".
func cmdStatement(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, statementHelp)
		if len(args) == 0 {
			return usagef("statement: missing subcommand (init or check)")
		}
		return nil
	}
	switch args[0] {
	case "init":
		return statementInit(args[1:], stdout)
	case "check":
		if len(args) < 2 {
			return usagef("statement check: missing FILE")
		}
		for _, f := range args[1:] {
			s, err := statement.Load(f, modelInfos())
			if err != nil {
				return usagef("%v", err)
			}
			fmt.Fprintf(stdout, "%s: statement for %s (%s), %d choices\n", f, s.Model, s.Implementation, len(s.Choices))
		}
		return nil
	}
	return usagef("statement: unknown subcommand %q (want init or check)", args[0])
}

func statementInit(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("statement init", flag.ContinueOnError)
	fs.SetOutput(stdout)
	name := fs.String("model", "", "model: "+strings.Join(modelNames(), ", "))
	profile := fs.String("profile", models.ProfileDocumented, "prefill the choices of this profile")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return errHelp
		}
		return usagef("statement init: %v", err)
	}
	for _, inf := range modelInfos() {
		if inf.Name == *name {
			if err := statement.WriteInit(stdout, inf, *profile); err != nil {
				return usagef("%v", err)
			}
			return nil
		}
	}
	return usagef("statement init: --model must be one of %s, got %q", strings.Join(modelNames(), ", "), *name)
}

// modelInfos is the Info of every registered model.
func modelInfos() []models.Info {
	var out []models.Info
	for _, m := range registry {
		out = append(out, m.model.Info())
	}
	return out
}

// statementFlag collects --statement FILE flags, one per model.
type statementFlag struct {
	files   []string
	byModel map[string]*statement.Statement
}

func (f *statementFlag) String() string { return strings.Join(f.files, ",") }

// Set loads and checks one statement file.
func (f *statementFlag) Set(path string) error {
	s, err := statement.Load(path, modelInfos())
	if err != nil {
		return err
	}
	if f.byModel == nil {
		f.byModel = map[string]*statement.Statement{}
	}
	if prev, dup := f.byModel[s.Model]; dup {
		return fmt.Errorf("two statements for model %s: %s and %s", s.Model, prev.File, path)
	}
	f.byModel[s.Model] = s
	f.files = append(f.files, path)
	return nil
}

// profileFor is the profile string model runs under: its statement's
// choices, or base (--profile).
func (f *statementFlag) profileFor(model, base string) string {
	s := f.byModel[model]
	if s == nil {
		return base
	}
	for _, inf := range modelInfos() {
		if inf.Name == model {
			return s.Profile(inf)
		}
	}
	return base
}

// checkControl refuses a run whose --control contradicts the IPAM
// statement's control-endpoint capability.
func (f *statementFlag) checkControl(control string) error {
	s := f.byModel["ipam"]
	if s == nil {
		return nil
	}
	switch has := s.Has("control-endpoint"); {
	case has && control == "":
		return fmt.Errorf("statement %s declares a control endpoint: pass --control URL", s.File)
	case !has && control != "":
		return fmt.Errorf("statement %s declares no control endpoint, but --control is set", s.File)
	}
	return nil
}

// isProfileName reports whether profile is a whole profile's name rather
// than a statement's choices string.
func isProfileName(profile string) bool { return !strings.HasPrefix(profile, models.ChoicesPrefix) }

// describe records in mr the choices the run takes for inf (the
// statement's, or base's) and the statement itself, and prints where the
// statement departs from base.
func (f *statementFlag) describe(mr *report.Model, inf models.Info, base string, stdout io.Writer) {
	s := f.byModel[inf.Name]
	mr.Choices = map[string]string{}
	for _, a := range inf.Ambiguities {
		mr.Choices[a.ID] = a.Choice[base]
	}
	if s == nil {
		return
	}
	mr.Choices = s.Choices
	mr.Statement = &report.Statement{File: s.File, Implementation: s.Implementation,
		Capabilities: s.Capabilities, Differences: s.Differences(inf, base)}
	diff := "the same choices as " + base
	if d := mr.Statement.Differences; len(d) > 0 {
		diff = "differs from " + base + " on " + strings.Join(d, ", ")
	}
	fmt.Fprintf(stdout, "%s: statement %s (%s): %s\n", inf.Name, s.File, s.Implementation, diff)
}

// checkHello lists where a VDI shim's shim.hello contradicts the VDI
// statement's capabilities; the run reports each as a warning.
func (f *statementFlag) checkHello(h vdiapi.Hello) []string {
	s := f.byModel["vdi"]
	if s == nil {
		return nil
	}
	var out []string
	for _, c := range []struct {
		name  string
		field string
		hello bool
	}{{"server-interface", "server", h.Capabilities.Server}, {"concurrent-sets", "concurrentSets", h.Capabilities.ConcurrentSets}} {
		if s.Has(c.name) != c.hello {
			out = append(out, fmt.Sprintf("statement %s declares %s: %v, but shim.hello answers %s: %v",
				s.File, c.name, s.Has(c.name), c.field, c.hello))
		}
	}
	return out
}

// profileLabel is how terminal lines name a profile: its name, or
// "statement" for a statement's choices string (listed once, in the
// statement banner and the report).
func profileLabel(profile string) string {
	if isProfileName(profile) {
		return profile
	}
	return "statement"
}
