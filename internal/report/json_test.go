package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport(t)
	Apply(r, &BaselineFile{Schema: BaselineSchema, SchemaVersion: 1, Deviations: []Deviation{
		{Model: "ipam", Clause: ipamHangClause, Kind: "hang", Expected: []string{"NotifyAsyncSchemaConversionComplete"},
			Observed: "no callback within 5s", Reason: "known: the reference server never completes"},
	}}, "baseline.json")
	path := filepath.Join(t.TempDir(), "out", "report.json")
	if err := WriteJSON(path, r); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"schema\": \"specgate/report\",\n  \"schemaVersion\": 2,")) {
		t.Errorf("report is not indented or does not start with the schema:\n%.200s", data)
	}
	got, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := MarshalJSON(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Errorf("read and re-encoded report differs from the written one")
	}
	if got.Models[1].Divergences[0].Known != true || got.Baseline == nil || len(got.Baseline.Known) != 1 {
		t.Errorf("baseline results lost: %+v", got.Baseline)
	}
	if !got.Run.Started.Equal(r.Run.Started) {
		t.Errorf("started = %v, want %v", got.Run.Started, r.Run.Started)
	}
}

func TestWriteJSONNoNulls(t *testing.T) {
	r := &Report{Models: []Model{{Name: "vdi"}}}
	data, err := MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"divergences": null`)) || bytes.Contains(data, []byte(`"clauses": null`)) {
		t.Errorf("lists written as null:\n%s", data)
	}
	if r.Schema != "" || r.Models[0].Divergences != nil {
		t.Errorf("MarshalJSON modified its argument")
	}
	got, err := ParseJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != Schema || got.SchemaVersion != SchemaVersion {
		t.Errorf("schema not filled in: %q %d", got.Schema, got.SchemaVersion)
	}
}

func TestReadJSONRejects(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, content, want string
	}{
		{"newer.json", `{"schema":"specgate/report","schemaVersion":3,"models":[]}`, "newer schema: schemaVersion 3, this specgate reads up to 2"},
		{"other.json", `{"schema":"specgate/failure","schemaVersion":1}`, `schema is "specgate/failure", want "specgate/report"`},
		{"bad.json", `{"schema":`, "invalid JSON"},
		{"zero.json", `{"schema":"specgate/report","schemaVersion":0}`, "invalid schemaVersion 0"},
		{"trailing.json", `{"schema":"specgate/report","schemaVersion":1} {}`, "after top-level value"},
		{"types.json", `{"schema":"specgate/report","schemaVersion":1,"models":{"x":1}}`, "corrupt report"},
		{"noname.json", `{"schema":"specgate/report","schemaVersion":1,"models":[{}]}`, "model 1 has no name"},
	}
	for _, c := range cases {
		_, err := ReadJSON(write(c.name, c.content))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", c.name, err)
		}
		if !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: error does not name the file: %v", c.name, err)
		}
	}
	if _, err := ReadJSON(write("newer2.json", `{"schema":"specgate/report","schemaVersion":7}`)); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("newer schema error %v does not wrap ErrNewerSchema", err)
	}

	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxReportSize+1); err != nil { // sparse
		t.Fatal(err)
	}
	if _, err := ReadJSON(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized report: %v", err)
	}
	if _, err := ReadJSON(filepath.Join(dir, "missing.json")); err == nil {
		t.Errorf("missing file read without error")
	}
}

// A consumer must ignore fields added later within a version.
func TestReadJSONIgnoresUnknownFields(t *testing.T) {
	r := sampleReport(t)
	data, err := MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["futureField"] = map[string]any{"x": 1}
	m["run"].(map[string]any)["futureRunField"] = "y"
	data, _ = json.Marshal(m)
	got, err := ParseJSON(data)
	if err != nil {
		t.Fatalf("unknown fields rejected: %v", err)
	}
	if got.Run.Seed != r.Run.Seed || len(got.Models) != 2 {
		t.Errorf("report decoded wrongly: %+v", got.Run)
	}
}
