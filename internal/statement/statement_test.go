package statement

import (
	"bytes"
	"strings"
	"testing"

	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
	"github.com/specgate/specgate/models/vdi"
)

func TestInitParsesBackToTheProfile(t *testing.T) {
	for _, inf := range []models.Info{vdi.Info(), ipam.Info()} {
		for _, p := range inf.Profiles {
			var b bytes.Buffer
			if err := WriteInit(&b, inf, p); err != nil {
				t.Fatal(err)
			}
			s, err := Parse(b.Bytes(), inf)
			if err != nil {
				t.Fatalf("%s/%s: %v\n%s", inf.Name, p, err, b.String())
			}
			if got := s.Profile(inf); got != p {
				t.Errorf("%s/%s: init parses back as profile %q", inf.Name, p, got)
			}
			if d := s.Differences(inf, p); len(d) != 0 {
				t.Errorf("%s/%s: differences %v", inf.Name, p, d)
			}
		}
	}
}

func TestParseRefuses(t *testing.T) {
	inf := vdi.Info()
	var b bytes.Buffer
	if err := WriteInit(&b, inf, models.ProfileStrict); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	for name, tc := range map[string]struct{ old, new, want string }{
		"missing ambiguity": {`  VDI-A3: "table"`, "", "no choice for ambiguity VDI-A3"},
		"unknown ambiguity": {`  VDI-A3: "table"`, "  VDI-A3: \"table\"\n  VDI-A42: \"table\"", "unknown ambiguity VDI-A42"},
		"unknown side":      {`  VDI-A3: "table"`, `  VDI-A3: "tabel"`, `has no side "tabel"`},
		"unknown key":       {"kind:", "flavour: x\nkind:", "flavour"},
		"other model":       {"model: vdi", "model: ipam", `not "vdi"`},
		"wrong kind":        {"kind: " + Kind, "kind: pics/9", "kind is"},
		"unknown cap":       {"  server-interface: true", "  server-interface: true\n  warp: true", `unknown capability "warp"`},
		"missing cap":       {"  server-interface: true", "", `capability "server-interface" is not declared`},
	} {
		if !strings.Contains(good, tc.old) {
			t.Fatalf("%s: template has no %q", name, tc.old)
		}
		_, err := Parse([]byte(strings.Replace(good, tc.old, tc.new, 1)), inf)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
}

func TestFlippedChoiceIsAChoicesString(t *testing.T) {
	inf := vdi.Info()
	var b bytes.Buffer
	_ = WriteInit(&b, inf, models.ProfileDocumented)
	s, err := Parse([]byte(strings.Replace(b.String(), `  VDI-A7: "reference"`, `  VDI-A7: "table"`, 1)), inf)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Profile(inf)
	if !strings.HasPrefix(p, models.ChoicesPrefix) || !strings.Contains(p, "VDI-A7=table") {
		t.Fatalf("profile %q", p)
	}
	if _, err := vdi.ParseProfile(p); err != nil {
		t.Errorf("the model refuses the statement's profile: %v", err)
	}
	if d := s.Differences(inf, models.ProfileDocumented); len(d) != 1 || !strings.HasPrefix(d[0], "VDI-A7=table") {
		t.Errorf("differences %v", d)
	}
}
