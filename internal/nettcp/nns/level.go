package nns

import (
	"errors"
	"fmt"
	"strings"
)

// ProtectionLevel is System.Net.Security.ProtectionLevel as NetTcpBinding
// configures it: what every data message must get.
type ProtectionLevel int

// The protection levels, weakest first.
const (
	None ProtectionLevel = iota
	Sign
	EncryptAndSign
)

func (l ProtectionLevel) String() string {
	switch l {
	case None:
		return "None"
	case Sign:
		return "Sign"
	case EncryptAndSign:
		return "EncryptAndSign"
	}
	return fmt.Sprintf("ProtectionLevel(%d)", int(l))
}

// ParseProtectionLevel parses none, sign or encryptandsign (any case).
func ParseProtectionLevel(s string) (ProtectionLevel, error) {
	switch strings.ToLower(s) {
	case "none":
		return None, nil
	case "sign":
		return Sign, nil
	case "encryptandsign":
		return EncryptAndSign, nil
	}
	return 0, fmt.Errorf("nns: unknown protection level %q (want none, sign or encryptandsign)", s)
}

// ErrProtection is wrapped when the established context does not give the
// protection level that was required.
var ErrProtection = errors.New("nns: protection level not granted")

// granted is the level a context gives.
func granted(ctx SecurityContext) ProtectionLevel {
	switch {
	case ctx.Confidentiality() && ctx.Integrity():
		return EncryptAndSign
	case ctx.Integrity():
		return Sign
	}
	return None
}

// checkLevel returns an error wrapping ErrProtection when ctx gives less
// than want.
func checkLevel(ctx SecurityContext, want ProtectionLevel, peer string) error {
	if got := granted(ctx); got < want {
		return fmt.Errorf("%w: %s agreed to %v, %v is required", ErrProtection, peer, got, want)
	}
	return nil
}
