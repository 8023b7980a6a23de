package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestJSONStepsOneBasedUnescapedAndV1Converted: report.json numbers the
// failing step from 1 (the last step of a 6-step sequence is step 6),
// writes "->" as it reads, and a version 1 report (0-based) is read as
// the same steps.
func TestJSONStepsOneBasedUnescapedAndV1Converted(t *testing.T) {
	d := vdiDivergence(7)
	d.Expected = []string{"VD_E_CLOSE -> Active"}
	r := &Report{Schema: Schema, SchemaVersion: SchemaVersion, Models: []Model{{Name: "vdi",
		Divergences: []Divergence{d}, Faults: []Fault{{Kind: "hang", FirstStep: 3}}}}}
	data, err := MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`\u00`)) || !bytes.Contains(data, []byte(`"VD_E_CLOSE -> Active"`)) {
		t.Errorf("report.json escapes HTML characters:\n%s", data)
	}
	if !bytes.Contains(data, []byte(`"step": 6,`)) {
		t.Errorf("report.json: the last of 6 steps is not step 6")
	}
	got, err := ParseJSON(data)
	if err != nil || got.Models[0].Divergences[0].Step != 6 {
		t.Fatalf("v2 read: %v", err)
	}
	old := strings.Replace(strings.Replace(strings.Replace(string(data), `"schemaVersion": 2`, `"schemaVersion": 1`, 1),
		`"step": 6,`, `"step": 5,`, 1), `"firstStep": 3`, `"firstStep": 2`, 1)
	got, err = ParseJSON([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if s, fs := got.Models[0].Divergences[0].Step, got.Models[0].Faults[0].FirstStep; s != 6 || fs != 3 || got.SchemaVersion != SchemaVersion {
		t.Fatalf("v1 report read as step %d, firstStep %d, version %d; want 6, 3, %d", s, fs, got.SchemaVersion, SchemaVersion)
	}
}

// TestTextAndJUnitNumberTheLastStepAsTheSequenceLength: the terminal and
// JUnit say "step 6" for the last step of a 6-step sequence and mark
// that line.
func TestTextAndJUnitNumberTheLastStepAsTheSequenceLength(t *testing.T) {
	d := vdiDivergence(7)
	r := &Report{Schema: Schema, SchemaVersion: SchemaVersion, Models: []Model{{Name: "vdi", Profile: "documented",
		Divergences: []Divergence{d}}}}
	Recompute(r)
	var b bytes.Buffer
	if err := WriteText(&b, r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "at step 6, GetCommand(") || !strings.Contains(b.String(), " 6. GetCommand(") ||
		!strings.Contains(b.String(), "<- VD_E_TIMEOUT") {
		t.Errorf("text:\n%s", b.String())
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, "<- VD_E_TIMEOUT") && !strings.Contains(l, " 6. ") {
			t.Errorf("marked line is not step 6: %q", l)
		}
	}
	x, err := MarshalJUnit(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(x, []byte("At:       step 6, GetCommand(")) {
		t.Errorf("junit:\n%s", x)
	}
}

// TestLateCallbackStepIsListed: a failure judged after the last step
// (settle(), late callbacks) is at step len+1, and that pseudo-step is
// listed under the sequence, so no number points past what is shown.
func TestLateCallbackStepIsListed(t *testing.T) {
	d := ipamHang(3)
	d.Step, d.Action, d.Observed = len(d.Sequence)+1, "settle()", "NotifyAsyncSchemaConversionComplete"
	r := &Report{Schema: Schema, SchemaVersion: SchemaVersion, Models: []Model{{Name: "ipam", Profile: "documented",
		Divergences: []Divergence{d}}}}
	Recompute(r)
	var b bytes.Buffer
	if err := WriteText(&b, r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "at step 4, settle()") || !strings.Contains(b.String(), " 4. settle()   <- NotifyAsyncSchemaConversionComplete") {
		t.Errorf("text:\n%s", b.String())
	}
	x, _ := MarshalJUnit(r)
	if !bytes.Contains(x, []byte(" 4. settle() (after the last step)")) {
		t.Errorf("junit:\n%s", x)
	}
}

// TestFaultFirstStepSaysItsSequence: a transport fault's first step
// counts in the first check's unshrunk sequence; the text says so, so
// "step 32" next to a 17-step shrunk sequence is not read as a step of it.
func TestFaultFirstStepSaysItsSequence(t *testing.T) {
	r := &Report{Schema: Schema, SchemaVersion: SchemaVersion, Models: []Model{{Name: "vdi", Profile: "documented",
		Faults: []Fault{{Kind: "hang", Occurrences: 2, Calls: 900, FirstCheck: 4, FirstStep: 32, FirstLength: 40, FirstAction: "GetCommand(device=0)"}}}}}
	Recompute(r)
	var b bytes.Buffer
	if err := WriteText(&b, r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "first at check 4 step 32 GetCommand(device=0) (of that check's 40 unshrunk steps)") {
		t.Errorf("text:\n%s", b.String())
	}
}
