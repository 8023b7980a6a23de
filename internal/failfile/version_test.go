package failfile

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestWriteDoesNotEscapeArrows checks the raw bytes of a failure file:
// "NOERROR -> DNE" is written as it reads, not as "-\u003e".
func TestWriteDoesNotEscapeArrows(t *testing.T) {
	f := sample()
	f.Transcript = []string{`-> {"method":"vdi.Close"}`, `<- {"result":{"hr":"0x00000000"}}`}
	path, err := f.Write(t.TempDir(), func(p string) string { return "bin/specgate replay " + p + " --control 'http://h/c?a=1&b=2'" })
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"NOERROR -> DNE"`, `"-> {\"method\":\"vdi.Close\"}"`, `"<- {`, `a=1&b=2`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("failure file lacks %s:\n%s", want, data)
		}
	}
	if bytes.Contains(data, []byte(`\u00`)) {
		t.Errorf("failure file escapes HTML characters:\n%s", data)
	}
}

// TestStepIsOneBasedAndVersion1IsConverted: version 2 files store the
// 1-based step number as every output shows it; a version 1 file (0-based)
// is read as the same step.
func TestStepIsOneBasedAndVersion1IsConverted(t *testing.T) {
	f := sample()
	f.Divergence.Step = 2 // the last of the 2 steps
	path, err := f.Write(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !bytes.Contains(data, []byte(`"schemaVersion": 2`)) || !bytes.Contains(data, []byte(`"step": 2,`)) {
		t.Fatalf("written file:\n%s", data)
	}
	got, err := Parse(data, nil)
	if err != nil || got.Divergence.Step != 2 {
		t.Fatalf("v2 read: step %v, %v", got, err)
	}
	old := strings.Replace(strings.Replace(string(data), `"schemaVersion": 2`, `"schemaVersion": 1`, 1), `"step": 2,`, `"step": 1,`, 1)
	got, err = Parse([]byte(old), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Divergence.Step != 2 || got.SchemaVersion != SchemaVersion {
		t.Fatalf("v1 file read as step %d (version %d), want step 2", got.Divergence.Step, got.SchemaVersion)
	}
}
