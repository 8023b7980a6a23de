package models

import (
	"fmt"
	"slices"
	"strings"
)

// ChoicesPrefix starts a profile string that spells out one choice per
// ambiguity ("choices:VDI-A1=table,VDI-A2=reference,..."). A statement
// becomes such a string, so a failure file and a replay command carry
// every choice the run made without the statement file.
const ChoicesPrefix = "choices:"

// Side values of Resolve: the index of the side taken, or Either.
const Either = -1

// Resolve returns, for each of ambs in order, the index of the side the
// profile takes (Either for SideEither). profile is a profile name
// ("strict", "documented") or a ChoicesPrefix string naming every
// ambiguity exactly once.
func Resolve(profile string, profiles []string, ambs []Ambiguity) ([]int, error) {
	if !strings.HasPrefix(profile, ChoicesPrefix) {
		if err := CheckProfile(profile, profiles); err != nil {
			return nil, err
		}
		choices := map[string]string{}
		for _, a := range ambs {
			choices[a.ID] = a.Choice[profile]
		}
		return sides(choices, ambs)
	}
	choices, err := ParseChoices(profile)
	if err != nil {
		return nil, err
	}
	return sides(choices, ambs)
}

// ParseChoices parses a ChoicesPrefix string into ambiguity id -> side.
func ParseChoices(s string) (map[string]string, error) {
	body, ok := strings.CutPrefix(s, ChoicesPrefix)
	if !ok {
		return nil, fmt.Errorf("choices %q: want %sID=side,ID=side,...", s, ChoicesPrefix)
	}
	out := map[string]string{}
	for _, kv := range strings.Split(body, ",") {
		id, side, ok := strings.Cut(kv, "=")
		if !ok || id == "" || side == "" {
			return nil, fmt.Errorf("choices: %q is not ID=side", kv)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("choices: %s is named twice", id)
		}
		out[id] = side
	}
	return out, nil
}

// FormatChoices renders choices (ambiguity id -> side) as a ChoicesPrefix
// string in the order of ambs, the form Resolve reads back.
func FormatChoices(choices map[string]string, ambs []Ambiguity) string {
	parts := make([]string, 0, len(ambs))
	for _, a := range ambs {
		parts = append(parts, a.ID+"="+choices[a.ID])
	}
	return ChoicesPrefix + strings.Join(parts, ",")
}

// CheckChoices reports the first problem with choices against ambs: an
// unknown id, a missing one, or a side the ambiguity does not have.
func CheckChoices(choices map[string]string, ambs []Ambiguity) error {
	_, err := sides(choices, ambs)
	return err
}

func sides(choices map[string]string, ambs []Ambiguity) ([]int, error) {
	known := map[string]bool{}
	out := make([]int, len(ambs))
	for i := range ambs {
		a := &ambs[i]
		known[a.ID] = true
		c, ok := choices[a.ID]
		if !ok {
			return nil, fmt.Errorf("no choice for ambiguity %s (%s); options: %s", a.ID, a.Summary, quoteAll(a.Options()))
		}
		k := slices.Index(a.Options(), c)
		switch {
		case k < 0:
			return nil, fmt.Errorf("ambiguity %s has no side %q; options: %s", a.ID, c, quoteAll(a.Options()))
		case k == len(a.Sides):
			out[i] = Either
		default:
			out[i] = k
		}
	}
	var unknown []string
	for id := range choices {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("unknown ambiguity %s", strings.Join(unknown, ", "))
	}
	return out, nil
}

func quoteAll(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
