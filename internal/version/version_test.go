package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "d8bc6e8f00112233445566778899aabbccddeeff"},
		{Key: "vcs.modified", Value: "true"},
		{Key: "vcs.time", Value: "2026-12-04T02:00:00Z"},
	}}
	b := fromBuildInfo(Build{Version: "0.1.0"}, bi)
	if b.Commit != "d8bc6e8f00112233445566778899aabbccddeeff" || !b.Dirty || b.Date != "2026-12-04T02:00:00Z" || b.GoVersion != "go1.26.8" {
		t.Fatalf("fromBuildInfo = %+v", b)
	}
	s := b.String()
	for _, want := range []string{"specgate 0.1.0\n", "d8bc6e8f00112233445566778899aabbccddeeff (dirty", "2026-12-04T02:00:00Z", "go1.26.8"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, missing %q", s, want)
		}
	}
	installed := fromBuildInfo(Build{}, &debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}})
	if installed.Commit != "v0.1.0" {
		t.Fatalf("go install build: commit %q, want the module version", installed.Commit)
	}
}

func TestLdflagsOverride(t *testing.T) {
	defer func(c, d, y string) { Commit, Date, Dirty = c, d, y }(Commit, Date, Dirty)
	Commit, Date, Dirty = "abc123", "2027-01-01T00:00:00Z", "false"
	b := Info()
	if b.Commit != "abc123" || b.Date != "2027-01-01T00:00:00Z" || b.Dirty {
		t.Fatalf("Info() = %+v", b)
	}
}
