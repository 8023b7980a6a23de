package main

import (
	"flag"
	"regexp"
	"strings"
)

// shimEnv is the repeatable --shim-env NAME=VALUE flag: extra environment
// for an exec shim child, on top of PATH, HOME, TMPDIR and LANG. Values may
// be secrets: no message, log line or report ever shows one, only names.
type shimEnv []string

var _ flag.Value = (*shimEnv)(nil)

// String lists the names only.
func (e *shimEnv) String() string {
	if e == nil {
		return ""
	}
	return strings.Join(e.names(), ",")
}

// Set records one NAME=VALUE entry. It never fails: the flag package would
// quote the value in its error, so entries are checked by check, which
// names only the NAME.
func (e *shimEnv) Set(v string) error {
	*e = append(*e, v)
	return nil
}

// names returns the NAME of every entry.
func (e shimEnv) names() []string {
	out := make([]string, len(e))
	for i, kv := range e {
		out[i], _, _ = strings.Cut(kv, "=")
	}
	return out
}

// envName is a portable environment variable name (POSIX: letters, digits
// and underscores, not starting with a digit).
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// check validates every entry: NAME=VALUE with a portable NAME, a VALUE
// without NUL bytes, within the documented count and size.
func (e shimEnv) check(cmd string) error {
	if len(e) > maxShimEnv {
		return usagef("%s: --shim-env must be given between 0 and %d times, got %d", cmd, maxShimEnv, len(e))
	}
	for i, kv := range e {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !envName.MatchString(name) {
			// The malformed text itself may be a pasted secret: say which one.
			return usagef("%s: --shim-env entry %d: want NAME=VALUE with NAME of letters, digits and underscores, not starting with a digit", cmd, i+1)
		}
		if len(kv) > maxShimEnvBytes {
			return usagef("%s: --shim-env %s: NAME=VALUE must be at most %d bytes, got %d", cmd, name, maxShimEnvBytes, len(kv))
		}
		if strings.IndexByte(value, 0) >= 0 {
			return usagef("%s: --shim-env %s: the value holds a NUL byte", cmd, name)
		}
	}
	return nil
}

// forTarget rejects --shim-env for a target that starts no child.
func (e shimEnv) forTarget(cmd string, kind string) error {
	if len(e) > 0 && kind != "exec" {
		return usagef("%s: --shim-env applies only to vdi:exec: targets (it sets the shim child's environment)", cmd)
	}
	return nil
}
