package ipam

import (
	"strings"
	"testing"

	"github.com/specgate/specgate/models"
)

func TestChoicePointsMatchAmbiguities(t *testing.T) {
	want := map[string]int{"IPAM-E1": aE1, "IPAM-E3": aE3, "IPAM-E5": aE5, "IPAM-E6": aE6,
		"IPAM-E13": aE13, "IPAM-E16": aE16, "IPAM-E4": aE4, "IPAM-G1": aG1}
	if len(want) != len(Ambiguities) {
		t.Fatalf("%d choice points, %d ambiguities", len(want), len(Ambiguities))
	}
	for id, k := range want {
		if Ambiguities[k].ID != id {
			t.Errorf("choice point %d reads %s, Ambiguities[%d] is %s", k, id, k, Ambiguities[k].ID)
		}
	}
}

func TestProfilesRoundTripThroughChoices(t *testing.T) {
	for _, name := range []string{models.ProfileStrict, models.ProfileDocumented} {
		p, err := ParseProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != name {
			t.Errorf("%s renders as %q", name, p.String())
		}
		c := map[string]string{}
		for _, a := range Ambiguities {
			c[a.ID] = a.Choice[name]
		}
		q, err := ParseProfile(models.FormatChoices(c, Ambiguities))
		if err != nil || q != p {
			t.Errorf("%s spelled out as choices = %v, %v; want %v", name, q, err, p)
		}
	}
}

func TestStatementChoiceChangesOneJudgement(t *testing.T) {
	// documented, but IPAM-E16 on the callback port type's side: a
	// callback with the server port type prefix is now a divergence.
	c := map[string]string{}
	for _, a := range Ambiguities {
		c[a.ID] = a.Choice[models.ProfileDocumented]
	}
	c["IPAM-E16"] = "callback port type"
	p, err := ParseProfile(models.FormatChoices(c, Ambiguities))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    Profile
		want bool
	}{{Documented, false}, {p, true}} {
		m := New(tc.p, true)
		m.S[0] = Session{Fam: Schema, Phase: Held}
		d := m.feed(0, Callback{Family: Schema, Kind: CBStart})
		if (d != nil) != tc.want {
			t.Errorf("profile %s: server-prefixed Start judged %v, want divergence %v", tc.p, d, tc.want)
		}
	}
}

func TestStatementErrors(t *testing.T) {
	for _, s := range []string{
		"choices:IPAM-E1=either",            // misses the others
		models.ChoicesPrefix + "IPAM-E99=x", // unknown
		strings.Replace(spelled(models.ProfileStrict), "IPAM-E5=literal", "IPAM-E5=either", 1), // no "either" for E5
	} {
		if _, err := ParseProfile(s); err == nil {
			t.Errorf("ParseProfile(%q) accepted", s)
		}
	}
}

// spelled is profile's choices string.
func spelled(profile string) string {
	c := map[string]string{}
	for _, a := range Ambiguities {
		c[a.ID] = a.Choice[profile]
	}
	return models.FormatChoices(c, Ambiguities)
}
