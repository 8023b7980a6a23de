package toy

import (
	"testing"

	"github.com/specgate/specgate/models"
)

func TestTableIsConsistent(t *testing.T) {
	if err := Table.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestStepFollowsTheChoice(t *testing.T) {
	unlock := models.Action{Op: OpUnlock, Idx: -1}
	for _, tc := range []struct {
		profile, observed string
		ok                bool
	}{
		{models.ProfileStrict, "NOT_HELD", true},
		{models.ProfileStrict, "OK", false},
		{models.ProfileDocumented, "OK", true},
		{models.ProfileDocumented, "NOT_HELD", true},
		{models.ProfileDocumented, "BUSY", false},
	} {
		c, err := Table.Resolve(tc.profile)
		if err != nil {
			t.Fatal(err)
		}
		r, v := Table.Step(c, Unlocked, unlock, tc.observed)
		if (v == nil) != tc.ok {
			t.Errorf("%s: Unlock answering %s in Unlocked: violation %+v, want ok=%v", tc.profile, tc.observed, v, tc.ok)
		}
		if v != nil && v.Clause != ClNotHeld && tc.profile == models.ProfileStrict {
			t.Errorf("strict violation filed under %s", v.Clause)
		}
		if v == nil && r.Next != Unlocked {
			t.Errorf("next %s", r.Next)
		}
	}
}
