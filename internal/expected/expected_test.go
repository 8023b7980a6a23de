package expected

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// render produces the three checked-in forms of model name.
func render(t *testing.T, name string) map[string][]byte {
	t.Helper()
	d, ok := Build(name)
	if !ok {
		t.Fatalf("no document for %s", name)
	}
	var md, csv bytes.Buffer
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&csv, d); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{name + ".md": md.Bytes(), name + ".csv": csv.Bytes(), name + ".json": append(js, '\n')}
}

// TestCheckedInPagesEqualTheModel: docs/expected is what the models
// render, so the documentation cannot drift from what specgate judges.
func TestCheckedInPagesEqualTheModel(t *testing.T) {
	for _, name := range []string{"vdi", "ipam"} {
		for file, want := range render(t, name) {
			got, err := os.ReadFile(filepath.Join("..", "..", "docs", "expected", file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("docs/expected/%s differs from the model; regenerate with: make expected", file)
			}
		}
	}
}

func TestRenderingIsDeterministic(t *testing.T) {
	a, b := render(t, "ipam"), render(t, "ipam")
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			t.Errorf("%s differs between two renderings", k)
		}
	}
}

// cases returns the allowed texts of cell in the section named sec.
func cases(d Doc, sec, cell string) []string {
	var out []string
	for _, s := range d.Sections {
		if s.Name != sec {
			continue
		}
		for _, c := range s.Cells {
			if c.Cell == cell {
				for _, k := range c.Cases {
					out = append(out, strings.Join(k.Allowed, " | "))
				}
			}
		}
	}
	return out
}

func TestKnownCellsPerProfile(t *testing.T) {
	d, _ := Build("vdi")
	strict := strings.Join(cases(d, "strict", "Active/Close"), "\n")
	doc := strings.Join(cases(d, "documented", "Active/Close"), "\n")
	if !strings.Contains(strict, "NOERROR -> DNE [vdi/client-table/Active/Close]") || strings.Contains(strict, "VD_E_OPEN") {
		t.Errorf("strict Active/Close: %s", strict)
	}
	if !strings.Contains(doc, "VD_E_OPEN -> DNE [vdi/ref/Close/VD_E_OPEN]") {
		t.Errorf("documented Active/Close (VDI-A7): %s", doc)
	}
	if got := cases(d, "strict", "Active/server.SignalAbort"); len(got) != 0 {
		t.Errorf("strict judges server.SignalAbort (VDI-A3 table): %v", got)
	}
	if got := cases(d, "documented", "DNE/server.SendCommand"); len(got) != 0 {
		t.Errorf("a stimulus no real server could issue is listed: %v", got)
	}
	ip, _ := Build("ipam")
	gate := strings.Join(cases(ip, "strict, with the control endpoint", "Unconfigured/StartAsyncSchemaConversion"), "\n")
	if !strings.Contains(gate, "SOAP fault, or") || !strings.Contains(gate, "ipam/3.1.4.2/step3") {
		t.Errorf("strict gate rejection (IPAM-G1 either): %s", gate)
	}
}

func TestCSVHasARowPerClause(t *testing.T) {
	d, _ := Build("vdi")
	var b bytes.Buffer
	if err := WriteCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(d.Clauses)+1 {
		t.Fatalf("%d rows for %d clauses", len(lines)-1, len(d.Clauses))
	}
	if !strings.Contains(b.String(), "vdi,vdi/ref/Close/VD_E_OPEN,descriptive,Active/Close,documented,") {
		t.Errorf("no traceability row for vdi/ref/Close/VD_E_OPEN:\n%s", b.String())
	}
}
