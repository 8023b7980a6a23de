package expected

import (
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
	"github.com/specgate/specgate/models/vdi"
)

// Doc is everything a model expects, as the pages render it.
type Doc struct {
	Model       string             `json:"model"`
	Title       string             `json:"title"`
	Sections    []Section          `json:"sections"`
	Stimuli     []models.Stimulus  `json:"stimuli"`
	Clauses     []models.Clause    `json:"clauses"`
	Ambiguities []models.Ambiguity `json:"ambiguities"`
}

// Section is one configuration's expectations: a profile (and for IPAM,
// with or without the control endpoint).
type Section struct {
	Name    string `json:"name"`
	Profile string `json:"profile"`
	Cells   []Cell `json:"cells"`
}

// Cell is one state x call cell: its situations, or why it is not judged.
type Cell struct {
	Cell      string `json:"cell"`
	Cases     []Case `json:"cases,omitempty"`
	NotJudged string `json:"notJudged,omitempty"`
}

// limit bounds the states explored per section.
const limit = 20000

// Build returns the document of model name ("vdi", "ipam"); ok is false
// for a model without generated expectations.
func Build(name string) (Doc, bool) {
	switch name {
	case "vdi":
		return buildVDI(), true
	case "ipam":
		return buildIPAM(), true
	}
	return Doc{}, false
}

func buildVDI() Doc {
	inf := vdi.Info()
	d := Doc{Model: inf.Name, Title: inf.Title, Stimuli: inf.Stimuli, Clauses: inf.Clauses, Ambiguities: inf.Ambiguities}
	for _, p := range []vdi.Profile{vdi.Strict, vdi.Documented} {
		next := func(m vdi.Model, a models.Action) (string, []string, []vdi.Model) {
			e := m.Expect(a)
			if e.N == 0 {
				return "", nil, nil
			}
			var allowed []string
			var out []vdi.Model
			for k, o := range e.Allowed() {
				allowed = append(allowed, o.String()+" ["+o.Clause+"]")
				out = append(out, m.After(a, &e, k))
			}
			return vdi.CellName(e.State, a.Op), allowed, out
		}
		found := explore(*vdi.New(p), vdi.Alphabet, func(m vdi.Model) vdi.Model { return m }, next, limit)
		d.Sections = append(d.Sections, section(p.String(), p.String(), inf.Cells, found, vdi.Reach(p).Cells))
	}
	return d
}

func buildIPAM() Doc {
	inf := ipam.Info()
	d := Doc{Model: inf.Name, Title: inf.Title, Clauses: inf.Clauses, Ambiguities: inf.Ambiguities, Stimuli: inf.Stimuli}
	for _, control := range []bool{true, false} {
		for _, p := range []ipam.Profile{ipam.Strict, ipam.Documented} {
			next := func(m *ipam.Model, a models.Action) (string, []string, []*ipam.Model) {
				allowed := m.Allowed(a)
				if allowed == nil {
					return "", nil, nil
				}
				n := *m
				n.Exercised = nil
				n.Assume(a)
				// Assume follows one world; the server may be in any other.
				nexts := append([]*ipam.Model{&n}, n.Split()...)
				return m.Cell(a), allowed, nexts
			}
			start := ipam.New(p, control)
			starts, labels := []*ipam.Model{start}, []string{""}
			for _, w := range start.Split() {
				starts, labels = append(starts, w), append(labels, "(a server that is "+w.W.Label()+")")
			}
			found := exploreFrom(starts, labels, ipam.Alphabet(control), (*ipam.Model).StateKey, next, limit)
			name := p.String() + ", with the control endpoint"
			if !control {
				name = p.String() + ", without a control endpoint"
			}
			d.Sections = append(d.Sections, section(name, p.String(), inf.Cells, found, ipam.Reach(p, control).Cells))
		}
	}
	return d
}

func section(name, profile string, cells []string, found map[string][]Case, unreachable map[string]string) Section {
	s := Section{Name: name, Profile: profile}
	for _, c := range cells {
		cell := Cell{Cell: c, Cases: found[c]}
		if len(cell.Cases) == 0 {
			cell.NotJudged = unreachable[c]
			if cell.NotJudged == "" {
				cell.NotJudged = "no sequence the model judges reaches it in this configuration"
			}
		}
		s.Cells = append(s.Cells, cell)
	}
	return s
}
