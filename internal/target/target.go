// Package target parses --target values and opens the driver they name.
package target

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/specgate/specgate/internal/shim"
)

// Families of targets.
const (
	FamilyVDI  = "vdi"
	FamilySOAP = "soap"
)

// Embedded is the target value of the bundled reference implementations.
const Embedded = "embedded"

// Spec is a parsed --target value.
type Spec struct {
	Raw    string // as given
	Family string // vdi or soap; "" for embedded (every family)
	Kind   string // embedded, exec, tcp, http, https
	Addr   string // command line (exec), host:port (tcp), URL (http)
}

// Argv returns the words of an exec target's command line, split the way
// a POSIX shell splits them (quotes and backslashes, no expansion).
func (s Spec) Argv() ([]string, error) { return shim.SplitCommandLine(s.Addr) }

// execCommandLine returns the command line of a vdi:exec: target. The
// documented form vdi:exec:'CMD ARGS' quotes the whole command line, so
// when the value is one quoted word from its first byte to its last and
// that word holds a blank, the word is the command line (split again into
// CMD and ARGS); otherwise the value itself is: a lone quoted word without
// blanks stays one program path ('C:\acme\shim.exe' keeps its
// backslashes). Either way it must split into at least one word with
// balanced quotes. A program whose path holds a blank is quoted inside:
// vdi:exec:"'/opt/my shim' --flag" or vdi:exec:/opt/my\ shim.
func execCommandLine(raw string) (string, error) {
	cmd := strings.TrimSpace(raw)
	words, err := shim.SplitCommandLine(cmd)
	if err != nil {
		return "", err
	}
	if len(words) == 1 && wholeQuoted(cmd) && strings.ContainsAny(words[0], " \t\n") {
		cmd = strings.TrimSpace(words[0])
		if words, err = shim.SplitCommandLine(cmd); err != nil {
			return "", fmt.Errorf("in the quoted command line: %w", err)
		}
	}
	if len(words) == 0 || words[0] == "" {
		return "", fmt.Errorf("no command")
	}
	return cmd, nil
}

// wholeQuoted reports whether s opens with a quote whose closing quote is
// its last byte.
func wholeQuoted(s string) bool {
	if len(s) < 2 {
		return false
	}
	switch s[0] {
	case '\'':
		return strings.IndexByte(s[1:], '\'') == len(s)-2
	case '"':
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return i == len(s)-1
			}
		}
	}
	return false
}

// Parse parses a --target value. The empty string and "embedded" select the
// bundled references.
func Parse(s string) (Spec, error) {
	switch {
	case s == "" || s == Embedded:
		return Spec{Raw: Embedded, Kind: Embedded}, nil
	case strings.HasPrefix(s, "vdi:exec:"):
		if strings.TrimSpace(strings.TrimPrefix(s, "vdi:exec:")) == "" {
			return Spec{}, fmt.Errorf("invalid target %q: vdi:exec: needs a command line", s)
		}
		cmd, err := execCommandLine(strings.TrimPrefix(s, "vdi:exec:"))
		if err != nil {
			return Spec{}, fmt.Errorf("invalid target %q: vdi:exec: command line: %w", s, err)
		}
		return Spec{Raw: s, Family: FamilyVDI, Kind: "exec", Addr: cmd}, nil
	case strings.HasPrefix(s, "vdi:tcp://"):
		hp := strings.TrimPrefix(s, "vdi:tcp://")
		if _, port, err := net.SplitHostPort(hp); err != nil || port == "" {
			return Spec{}, fmt.Errorf("invalid target %q: want vdi:tcp://HOST:PORT", s)
		}
		return Spec{Raw: s, Family: FamilyVDI, Kind: "tcp", Addr: hp}, nil
	case strings.HasPrefix(s, "soap:"):
		raw := strings.TrimPrefix(s, "soap:")
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return Spec{}, fmt.Errorf("invalid target %q: want soap:http://HOST:PORT/PATH", s)
		}
		if u.User != nil {
			return Spec{}, fmt.Errorf("invalid target: credentials in the URL are not accepted (they would end up in reports); put them in $SPECGATE_AUTH or --auth-file")
		}
		switch u.Scheme {
		case "http", "https", "net.tcp":
		default:
			return Spec{}, fmt.Errorf("invalid target %q: scheme %q is not http, https or net.tcp", s, u.Scheme)
		}
		return Spec{Raw: s, Family: FamilySOAP, Kind: u.Scheme, Addr: raw}, nil
	}
	return Spec{}, fmt.Errorf("invalid target %q: want embedded, vdi:exec:'CMD', vdi:tcp://HOST:PORT or soap:http://HOST:PORT/PATH", s)
}
