// Package statement reads and writes a vendor's conformance statement:
// the file in which an implementation declares, for every ambiguity of a
// model, which side it takes, and which optional capabilities it has (the
// PICS of ISO/ETSI conformance testing). A run given a statement judges
// the implementation by its own declared choices instead of a whole
// profile's.
package statement

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/specgate/specgate/models"
)

// Kind is the value of a statement's "kind" key.
const Kind = "specgate-statement/1"

// Statement is one implementation's declaration for one model.
type Statement struct {
	Kind string `yaml:"kind" json:"-"`
	// Model is the model the statement is for ("vdi", "ipam").
	Model string `yaml:"model" json:"model"`
	// Implementation names the product and version the statement covers.
	Implementation string `yaml:"implementation" json:"implementation"`
	// Choices maps every ambiguity id of the model to the side taken.
	Choices map[string]string `yaml:"choices" json:"choices"`
	// Capabilities says which optional capabilities the implementation has.
	Capabilities map[string]bool `yaml:"capabilities" json:"capabilities"`
	// File is where the statement was read from ("" when built in memory).
	File string `yaml:"-" json:"file,omitempty"`
}

// Capability is an optional capability a statement declares.
type Capability struct {
	Name string
	// Doc says what having it means, and what the run does with it.
	Doc string
}

// Capabilities lists the capabilities each model knows.
var Capabilities = map[string][]Capability{
	"vdi": {
		{Name: "server-interface", Doc: "the shim drives the server side (server.* methods, shim.hello answers server: true); checked against the hello"},
		{Name: "concurrent-sets", Doc: "several sets at once (shim.hello answers concurrentSets: true); checked against the hello"},
	},
	"ipam": {
		{Name: "control-endpoint", Doc: "the vendor control endpoint (docs/ipam-soap-binding.md); with it the run needs --control, without it --control is refused"},
	},
}

// Parse reads a statement from YAML and checks it against the model's
// ambiguities: every ambiguity named once with one of its options, no
// unknown ambiguity or capability.
func Parse(data []byte, inf models.Info) (*Statement, error) {
	var s Statement
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	if s.Kind != Kind {
		return nil, fmt.Errorf("statement: kind is %q, want %q", s.Kind, Kind)
	}
	if s.Model != inf.Name {
		return nil, fmt.Errorf("statement: it is for model %q, not %q", s.Model, inf.Name)
	}
	if err := models.CheckChoices(s.Choices, inf.Ambiguities); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	known := Capabilities[s.Model]
	for name := range s.Capabilities {
		if !slices.ContainsFunc(known, func(c Capability) bool { return c.Name == name }) {
			return nil, fmt.Errorf("statement: unknown capability %q for model %s (known: %s)", name, s.Model, capNames(known))
		}
	}
	for _, c := range known {
		if _, ok := s.Capabilities[c.Name]; !ok {
			return nil, fmt.Errorf("statement: capability %q is not declared (true or false)", c.Name)
		}
	}
	return &s, nil
}

// Load reads the statement in path for one of infos (the model it names).
func Load(path string, infos []models.Info) (*Statement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	var head struct {
		Model string `yaml:"model"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("statement %s: %w", path, err)
	}
	for _, inf := range infos {
		if inf.Name == head.Model {
			s, err := Parse(data, inf)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			s.File = path
			return s, nil
		}
	}
	return nil, fmt.Errorf("statement %s: unknown model %q", path, head.Model)
}

// Profile is the profile string that makes a model take the statement's
// choices: a profile name when they are exactly a profile's, else the
// models.ChoicesPrefix string.
func (s *Statement) Profile(inf models.Info) string {
	for _, p := range inf.Profiles {
		same := true
		for _, a := range inf.Ambiguities {
			same = same && a.Choice[p] == s.Choices[a.ID]
		}
		if same {
			return p
		}
	}
	return models.FormatChoices(s.Choices, inf.Ambiguities)
}

// Differences lists, for the report's banner, where the statement departs
// from profile: "VDI-A7=table (documented: reference)".
func (s *Statement) Differences(inf models.Info, profile string) []string {
	var out []string
	for _, a := range inf.Ambiguities {
		if c := s.Choices[a.ID]; c != a.Choice[profile] {
			out = append(out, fmt.Sprintf("%s=%s (%s: %s)", a.ID, c, profile, a.Choice[profile]))
		}
	}
	return out
}

// Has reports whether the statement declares capability name.
func (s *Statement) Has(name string) bool { return s.Capabilities[name] }

func capNames(cs []Capability) string {
	n := make([]string, len(cs))
	for i, c := range cs {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}
