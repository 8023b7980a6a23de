//go:build windows

package shim

import (
	"os"
	"syscall"
)

// baseEnvKeys are the variables an exec child inherits. Windows programs
// need a few more than PATH to start at all.
var baseEnvKeys = []string{"PATH", "PATHEXT", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR",
	"COMSPEC", "TEMP", "TMP", "USERPROFILE", "HOME", "TMPDIR", "LANG"}

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// killGroup kills the child. Windows has no process-group kill in the
// standard library; grandchildren of a shim may survive.
func killGroup(p *os.Process) { p.Kill() }
