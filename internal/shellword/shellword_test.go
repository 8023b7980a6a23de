package shellword

import (
	"os/exec"
	"testing"
)

// TestJoinRoundTripsThroughSh: every word comes back from sh unchanged.
func TestJoinRoundTripsThroughSh(t *testing.T) {
	words := []string{"plain", "with space", "it's", `"dq"`, "$HOME", "a&b|c;d", "", "vdi:exec:'./x --y'", "@latest", "*"}
	out, err := exec.Command("sh", "-c", "set -- "+Join(words...)+`; for w in "$@"; do printf '%s\n' "$w"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, w := range words {
		want += w + "\n"
	}
	if string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}
