//go:build !unix && !windows

package shim

import (
	"os"
	"syscall"
)

var baseEnvKeys = []string{"PATH", "HOME", "TMPDIR", "LANG"}

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) { p.Kill() }
