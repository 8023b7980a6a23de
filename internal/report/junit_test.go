package report

import (
	"encoding/xml"
	"github.com/specgate/specgate/models"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Independent decoding structs: the test does not reuse the writer's.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name     string  `xml:"name,attr"`
	Tests    int     `xml:"tests,attr"`
	Failures int     `xml:"failures,attr"`
	Errors   int     `xml:"errors,attr"`
	Skipped  int     `xml:"skipped,attr"`
	Props    []xProp `xml:"properties>property"`
	Cases    []xCase `xml:"testcase"`
}

type xProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
	SystemOut string `xml:"system-out"`
}

func readJUnit(t *testing.T, r *Report) xSuites {
	t.Helper()
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := WriteJUnit(path, r); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "<?xml") {
		t.Errorf("no XML header")
	}
	var s xSuites
	if err := xml.Unmarshal(data, &s); err != nil {
		t.Fatalf("JUnit output does not parse: %v", err)
	}
	return s
}

// checkCounts checks that every count attribute matches the test cases.
func checkCounts(t *testing.T, s xSuites) {
	t.Helper()
	tests, failures, skipped := 0, 0, 0
	for _, su := range s.Suites {
		f, sk := 0, 0
		for _, c := range su.Cases {
			if c.Failure != nil && c.Skipped != nil {
				t.Errorf("%s: both failed and skipped", c.Name)
			}
			if c.Failure != nil {
				f++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if su.Tests != len(su.Cases) || su.Failures != f || su.Skipped != sk || su.Errors != 0 {
			t.Errorf("suite %s: tests=%d failures=%d skipped=%d errors=%d; counted %d, %d, %d", su.Name,
				su.Tests, su.Failures, su.Skipped, su.Errors, len(su.Cases), f, sk)
		}
		tests += len(su.Cases)
		failures += f
		skipped += sk
	}
	if s.Tests != tests || s.Failures != failures || s.Skipped != skipped {
		t.Errorf("testsuites: tests=%d failures=%d skipped=%d; counted %d, %d, %d", s.Tests, s.Failures, s.Skipped, tests, failures, skipped)
	}
}

func TestJUnit(t *testing.T) {
	r := sampleReport(t)
	s := readJUnit(t, r)
	checkCounts(t, s)
	if len(s.Suites) != len(r.Models) {
		t.Fatalf("%d suites, want %d", len(s.Suites), len(r.Models))
	}
	for i, m := range r.Models {
		su := s.Suites[i]
		if su.Name != m.Name {
			t.Errorf("suite %d is %q, want %q", i, su.Name, m.Name)
		}
		// One test case per clause, in order.
		if len(su.Cases) != len(m.Clauses) {
			t.Errorf("%s: %d test cases, want one per clause (%d)", m.Name, len(su.Cases), len(m.Clauses))
		}
		failing := map[string]string{} // clause -> kind
		for _, d := range m.Divergences {
			failing[d.Clause] = d.Kind
		}
		unreached := 0
		for j, c := range su.Cases {
			if j < len(m.Clauses) && c.Name != m.Clauses[j].ID {
				t.Errorf("%s: case %d is %q, want %q", m.Name, j, c.Name, m.Clauses[j].ID)
			}
			if c.Classname != m.Name+"/documented" {
				t.Errorf("classname %q", c.Classname)
			}
			kind, fails := failing[c.Name]
			if fails != (c.Failure != nil) {
				t.Errorf("%s %s: failing clause and failing test case disagree (failure=%v)", m.Name, c.Name, c.Failure != nil)
				continue
			}
			if fails {
				if c.Failure.Type != kind {
					t.Errorf("%s: failure type %q, want %q", c.Name, c.Failure.Type, kind)
				}
				for _, want := range []string{"Expected: ", "Actual:   ", "Sequence: ", " 1. ", "Transcript:", "Replay:   specgate replay "} {
					if !strings.Contains(c.Failure.Text, want) {
						t.Errorf("%s: failure text lacks %q:\n%s", c.Name, want, c.Failure.Text)
					}
				}
				if !strings.Contains(c.Failure.Message, "expected") || strings.Contains(c.Failure.Message, "\n") {
					t.Errorf("%s: failure message %q", c.Name, c.Failure.Message)
				}
			}
			if m.Coverage.Clauses[c.Name] == 0 {
				unreached++
				if c.Skipped == nil || c.Skipped.Message != "not reached" {
					t.Errorf("%s: unreached clause not skipped", c.Name)
				}
			} else if c.Skipped != nil {
				t.Errorf("%s: reached clause skipped", c.Name)
			}
		}
		if su.Failures != 1 || su.Skipped != unreached || unreached == 0 {
			t.Errorf("%s: failures %d skipped %d (unreached %d)", m.Name, su.Failures, su.Skipped, unreached)
		}
	}
	// The SOAP namespace inside the transcript survives XML escaping.
	ipamCase := s.Suites[1].Cases
	found := false
	for _, c := range ipamCase {
		if c.Failure != nil && strings.Contains(c.Failure.Text, `xmlns:s="`+soapNS+`"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("ipam transcript lost in the failure text")
	}
}

func TestJUnitKnownDeviation(t *testing.T) {
	r := sampleReport(t)
	b := NewBaselineFromReport(r, "accepted")
	b.Deviations = b.Deviations[1:] // vdi's divergence is known
	Apply(r, b, "b.json")
	s := readJUnit(t, r)
	checkCounts(t, s)
	if s.Failures != 1 {
		t.Errorf("failures = %d, want 1 (ipam's new hang)", s.Failures)
	}
	for _, c := range s.Suites[0].Cases {
		if c.Name != vdiFailClause {
			continue
		}
		if c.Failure != nil || c.Skipped != nil {
			t.Errorf("known deviation does not pass")
		}
		if !strings.HasPrefix(c.SystemOut, "known deviation: divergence at step 6 GetCommand(device=0)") || !strings.Contains(c.SystemOut, "Expected: ") {
			t.Errorf("system-out = %q", c.SystemOut)
		}
		return
	}
	t.Errorf("no test case for %s", vdiFailClause)
}

// A divergence naming a clause the model does not list still fails a test
// case; control characters never make the XML invalid.
func TestJUnitUnlistedClause(t *testing.T) {
	r := sampleReport(t)
	d := vdiDivergence(1)
	d.Clause = "vdi/not-in-the-model"
	d.Observed = "bad\x00byte\x1b[31m"
	r.Models[0].Divergences = append(r.Models[0].Divergences, d)
	s := readJUnit(t, r)
	checkCounts(t, s)
	last := s.Suites[0].Cases[len(s.Suites[0].Cases)-1]
	if last.Name != "vdi/not-in-the-model" || last.Failure == nil {
		t.Errorf("unlisted clause: %+v", last)
	}
	if len(s.Suites[0].Cases) != len(r.Models[0].Clauses)+1 {
		t.Errorf("%d cases", len(s.Suites[0].Cases))
	}
}

func TestJUnitEmpty(t *testing.T) {
	s := readJUnit(t, &Report{})
	if s.Tests != 0 || len(s.Suites) != 0 {
		t.Errorf("%+v", s)
	}
}

// TestJUnitNotReachable: a clause the model says the generator cannot
// reach is skipped with the model's reason, not as "not reached".
func TestJUnitNotReachable(t *testing.T) {
	r := sampleReport(t)
	im := &r.Models[1]
	var id string
	for _, c := range im.Clauses {
		if im.Coverage.Clauses[c.ID] == 0 {
			id = c.ID
			break
		}
	}
	if id == "" {
		t.Fatal("fixture: no unreached ipam clause")
	}
	im.Coverage.Declare(models.Reach{Clauses: map[string]string{id: "needs a server fault"}})
	s := readJUnit(t, r)
	for _, c := range s.Suites[1].Cases {
		if c.Name == id {
			if c.Skipped == nil || c.Skipped.Message != "not reachable: needs a server fault" {
				t.Errorf("%s: skipped %+v, want the model's reason", id, c.Skipped)
			}
			return
		}
	}
	t.Fatalf("no test case for %s", id)
}
