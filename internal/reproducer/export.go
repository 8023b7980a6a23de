package reproducer

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/specgate/specgate/internal/failfile"
)

// Export formats.
const (
	FormatVDIScript = "vdi-script"
	FormatIPAMCurl  = "ipam-curl"
	FormatGoTest    = "go-test"
)

// Formats lists the formats Export knows, in the order help text names them.
var Formats = []string{FormatVDIScript, FormatIPAMCurl, FormatGoTest}

// ErrUnknownFormat is returned for a format not in Formats.
var ErrUnknownFormat = errors.New("unknown export format")

// File is one file of an export, named relative to the output.
type File struct {
	Name string
	Data []byte
	Mode fs.FileMode
}

// Names of the files of a vdi-script export.
const (
	VDIScriptFile = "script.jsonl"
	VDIRunnerFile = "run.py"
)

//go:embed vdirun.py
var vdiRunner []byte

// Dir reports whether format writes a directory (several files) rather
// than one file.
func Dir(format string) bool { return format != FormatGoTest }

// Export renders ff in format. A vdi-script export is a directory of two
// files (script.jsonl and run.py); a go-test export is one file whose
// package is pkg.
func Export(ff *failfile.File, format, pkg string) ([]File, error) {
	switch format {
	case FormatVDIScript:
		script, err := VDIScript(ff)
		if err != nil {
			return nil, err
		}
		return []File{{VDIScriptFile, script, 0o644}, {VDIRunnerFile, vdiRunner, 0o755}}, nil
	case FormatGoTest:
		src, err := GoTest(ff, pkg)
		if err != nil {
			return nil, err
		}
		return []File{{"", src, 0o644}}, nil
	case FormatIPAMCurl:
		return IPAMCurl(ff)
	}
	return nil, fmt.Errorf("%w %q (want %s)", ErrUnknownFormat, format, strings.Join(Formats, ", "))
}

// DefaultOut is the output path used when --out is not given: a path in
// the current directory named after the failure file (a directory for a
// vdi-script, a _test.go file for a go-test).
func DefaultOut(ff *failfile.File, format string) string {
	base := strings.TrimSuffix(ff.Name(), ".json")
	if format == FormatGoTest {
		return strings.ReplaceAll(base, "-", "_") + "_test.go"
	}
	return base + "." + format
}
