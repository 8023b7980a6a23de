package vdi

import (
	"testing"

	"github.com/specgate/specgate/models"
)

func TestChoicePointsMatchAmbiguities(t *testing.T) {
	want := []string{"VDI-A1", "VDI-A2", "VDI-A3", "VDI-A4", "VDI-A5", "VDI-A6", "VDI-A7", "VDI-A8", "VDI-A9", "VDI-A10"}
	idx := []int{a1GetConfigWait, a2GetCommandPoll, a3ServerAbort, a4OpenNext, a5OpenAllOpen, a6OpenUnknown,
		a7CloseOpen, a8CompleteUnknown, a9LastClose, a10CreateEx}
	if len(Ambiguities) != len(want) {
		t.Fatalf("%d ambiguities, %d choice points", len(Ambiguities), len(want))
	}
	for i, k := range idx {
		if Ambiguities[k].ID != want[i] {
			t.Errorf("choice point %d is %s, want %s", k, Ambiguities[k].ID, want[i])
		}
	}
}

// choices spells profile out, with the overrides applied.
func choices(profile string, over map[string]string) string {
	c := map[string]string{}
	for _, a := range Ambiguities {
		c[a.ID] = a.Choice[profile]
	}
	for k, v := range over {
		c[k] = v
	}
	return models.FormatChoices(c, Ambiguities)
}

func TestProfilesRoundTripThroughChoices(t *testing.T) {
	for _, name := range []string{models.ProfileStrict, models.ProfileDocumented} {
		p, err := ParseProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseProfile(choices(name, nil))
		if err != nil || q != p || p.String() != name {
			t.Errorf("%s: choices give %v (%v), String %q", name, q, err, p.String())
		}
	}
}

// closeWithOpenDevice drives a set of two devices to Active with one
// device open and returns the outcomes the profile allows for Close.
func closeWithOpenDevice(t *testing.T, p Profile) []Outcome {
	m := New(p)
	for _, a := range []models.Action{{Op: OpCreate, Idx: -1, Arg: 2}, {Op: OpServerOpen, Idx: -1},
		{Op: OpGetConfiguration, Idx: -1}, {Op: OpOpenDevice, Idx: 0}} {
		e := m.Expect(a)
		if e.N == 0 {
			t.Fatalf("%s not judged", a)
		}
		m.ApplyOutcome(a, &e, 0)
	}
	if m.State != Active {
		t.Fatalf("state %s, want Active", m.State)
	}
	e := m.Expect(models.Action{Op: OpClose, Idx: -1})
	return e.Allowed()
}

func TestOneChoiceChangesOneCell(t *testing.T) {
	flipped, err := ParseProfile(choices(models.ProfileDocumented, map[string]string{"VDI-A7": "table"}))
	if err != nil {
		t.Fatal(err)
	}
	if flipped == Documented || flipped.String() == models.ProfileDocumented {
		t.Fatalf("flipping VDI-A7 left the documented profile")
	}
	if got := closeWithOpenDevice(t, Documented); len(got) != 1 || got[0].HR != VD_E_OPEN {
		t.Errorf("documented Close with an open device = %v, want VD_E_OPEN", got)
	}
	if got := closeWithOpenDevice(t, flipped); len(got) != 1 || got[0].HR != NOERROR || got[0].Clause != CellID(Active, FnClose) {
		t.Errorf("VDI-A7=table Close with an open device = %v, want NOERROR under the table cell", got)
	}
}

func TestChoicesRejected(t *testing.T) {
	for _, s := range []string{
		models.ChoicesPrefix + "VDI-A1=table",                                         // misses the others
		choices(models.ProfileStrict, nil) + ",VDI-A99=table",                         // unknown id
		choices(models.ProfileStrict, map[string]string{"VDI-A4": models.SideEither}), // no both-sides reading
		choices(models.ProfileStrict, map[string]string{"VDI-A4": "figures"}),         // no such side
	} {
		if _, err := ParseProfile(s); err == nil {
			t.Errorf("ParseProfile(%q) accepted", s)
		}
	}
}
