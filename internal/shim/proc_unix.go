//go:build unix

package shim

import (
	"os"
	"syscall"
)

// baseEnvKeys are the variables an exec child inherits.
var baseEnvKeys = []string{"PATH", "HOME", "TMPDIR", "LANG"}

// sysProcAttr puts the child in its own process group so that a hang can be
// ended by killing the group, grandchildren included.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func killGroup(p *os.Process) {
	syscall.Kill(-p.Pid, syscall.SIGKILL)
	p.Kill()
}
