// Package target parses --target values and opens the driver they name.
package target

import (
	"fmt"
	"net"
	"net/url"
	"strings"
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

// Parse parses a --target value. The empty string and "embedded" select the
// bundled references.
func Parse(s string) (Spec, error) {
	switch {
	case s == "" || s == Embedded:
		return Spec{Raw: Embedded, Kind: Embedded}, nil
	case strings.HasPrefix(s, "vdi:exec:"):
		cmd := strings.TrimSpace(strings.TrimPrefix(s, "vdi:exec:"))
		if cmd == "" {
			return Spec{}, fmt.Errorf("invalid target %q: vdi:exec: needs a command line", s)
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
