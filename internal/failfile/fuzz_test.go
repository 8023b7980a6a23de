package failfile

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/models"
)

func sample() *File {
	return FromFailure(engine.Failure{Model: "vdi", Profile: "strict", Seed: 7, Check: 3, CheckSeed: 9,
		Sequence: []models.Action{{Op: "CreateEx", Idx: -1, Arg: 1}, {Op: "Close", Idx: -1}},
		Original: 5, Divergence: engine.Divergence{Kind: "divergence", Clause: "vdi/client-table/Configurable/Close",
			Expected: []string{"NOERROR -> DNE"}, Observed: "VD_E_PROTOCOL"}}, "embedded", "0.1.0")
}

func TestRoundTripAndAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	f := sample()
	path, err := f.Write(dir, func(p string) string { return "specgate replay " + p })
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sequence) != 2 || got.Divergence.Clause != f.Divergence.Clause || !strings.Contains(got.Replay, path) {
		t.Fatalf("round trip lost data: %+v", got)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
}

func TestRejectsForeignCorruptAndNewer(t *testing.T) {
	good, _ := json.Marshal(sample())
	newer := strings.Replace(string(good), `"schemaVersion":2`, `"schemaVersion":99`, 1)
	for name, data := range map[string]string{
		"not json":    "{{{",
		"foreign":     `{"schema":"something/else","schemaVersion":1}`,
		"newer":       newer,
		"no sequence": strings.Replace(string(good), `"sequence":[{"op":"CreateEx","idx":-1,"arg":1},{"op":"Close","idx":-1}]`, `"sequence":[]`, 1),
		"unknown":     strings.Replace(string(good), `"model":"vdi"`, `"model":"vdi","extra":1`, 1),
	} {
		_, err := Parse([]byte(data), nil)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
	if _, err := Parse([]byte(newer), nil); err == nil || !strings.Contains(err.Error(), "newer schema") {
		t.Errorf("newer schema error: %v", err)
	}
}

// FuzzParse checks the failure-file reader never panics and only returns
// one-line errors.
func FuzzParse(f *testing.F) {
	good, _ := json.Marshal(sample())
	f.Add(good)
	f.Add([]byte(`{"schema":"specgate/failure","schemaVersion":1}`))
	f.Add([]byte(`{"schema":"specgate/failure","schemaVersion":2}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data, func(string, models.Action) error { return nil })
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if file.Model == "" || len(file.Sequence) == 0 {
			t.Fatalf("accepted an incomplete file: %+v", file)
		}
	})
}
