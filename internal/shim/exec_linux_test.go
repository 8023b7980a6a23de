package shim

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/vdiapi"
)

// processGone reports whether pid no longer runs (absent or a zombie).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestHangKillsProcessGroup(t *testing.T) {
	c := dialChild(t, "spawn", Options{CallTimeout: 300 * time.Millisecond})
	checkWorks(t, c)
	_, err := c.Create(context.Background(), "hang", vdiapi.Config{})
	se := asShimError(t, err, KindTimeout)
	var pid int
	for _, line := range strings.Split(se.StderrTail, "\n") {
		if _, err := fmt.Sscanf(line, "grandchild pid %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("no grandchild pid in stderr tail %q", se.StderrTail)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d survived the hang", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkWorks(t, c)
}
