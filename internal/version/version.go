// Package version holds specgate's version and the build it runs from. A
// seed and this version fully determine a run.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is specgate's release version. It is a variable so that release
// builds can set it:
//
//	go build -ldflags "-X github.com/specgate/specgate/internal/version.Version=0.1.0 \
//	  -X github.com/specgate/specgate/internal/version.Commit=$(git rev-parse HEAD) \
//	  -X github.com/specgate/specgate/internal/version.Date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/specgate
var Version = "0.1.0"

// Commit and Date override the VCS revision and time the Go toolchain
// records in the binary (-ldflags -X); empty means "from the build info".
// Dirty set to "true" or "false" overrides the modified flag likewise.
var (
	Commit string
	Date   string
	Dirty  string
)

// Build describes the binary: its version, the commit it was built from
// (and whether the work tree had changes), the commit or build date and
// the Go toolchain.
type Build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Dirty     bool   `json:"dirty,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Info returns the build of the running binary: -ldflags overrides first,
// then runtime/debug.ReadBuildInfo (vcs.revision, vcs.modified, vcs.time).
// A binary built by "go install module@version" carries no VCS settings;
// its module version then stands in for the commit.
func Info() Build {
	b := Build{Version: Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b = fromBuildInfo(b, bi)
	}
	if Commit != "" {
		b.Commit = Commit
	}
	if Date != "" {
		b.Date = Date
	}
	switch Dirty {
	case "true":
		b.Dirty = true
	case "false":
		b.Dirty = false
	}
	return b
}

// fromBuildInfo fills b from the build information the toolchain embeds.
func fromBuildInfo(b Build, bi *debug.BuildInfo) Build {
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		case "vcs.time":
			b.Date = s.Value
		}
	}
	if b.Commit == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Commit = bi.Main.Version // go install ...@vX.Y.Z: the module version names the commit
	}
	return b
}

// String is the text of "specgate version": the version on the first line
// (alone, for scripts), then the commit, date and toolchain.
func (b Build) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "specgate %s\n", b.Version)
	commit := b.Commit
	if commit == "" {
		commit = "unknown (built without VCS information)"
	}
	if b.Dirty {
		commit += " (dirty: uncommitted changes)"
	}
	fmt.Fprintf(&sb, "commit:  %s\n", commit)
	date := b.Date
	if date == "" {
		date = "unknown"
	}
	fmt.Fprintf(&sb, "date:    %s\n", date)
	fmt.Fprintf(&sb, "go:      %s %s\n", b.GoVersion, b.Platform)
	return sb.String()
}
