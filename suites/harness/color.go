package harness

import (
	"flag"
	"fmt"
	"os"

	"github.com/specgate/specgate/internal/report"
)

var colorFlag = flag.String("color", "auto", "colour in the Ginkgo output: auto (only on a terminal, never when CI=true or NO_COLOR is set), always or never")

// NoColor decides the Ginkgo reporter's NoColor from -color, given the
// value -ginkgo.no-color left (true wins in auto). CI logs get no escape
// codes unless -color=always asks for them.
func NoColor(ginkgoNoColor bool) (bool, error) {
	switch *colorFlag {
	case "always":
		return false, nil
	case "never":
		return true, nil
	case "auto":
		return ginkgoNoColor || !colorWanted(os.Getenv("CI"), os.Getenv("NO_COLOR"), report.IsTerminal(os.Stdout)), nil
	}
	return true, fmt.Errorf("-color must be auto, always or never, got %q", *colorFlag)
}

// colorWanted is auto's rule: a terminal, not CI, no NO_COLOR.
func colorWanted(ci, noColor string, tty bool) bool {
	return tty && ci != "true" && ci != "1" && noColor == ""
}
