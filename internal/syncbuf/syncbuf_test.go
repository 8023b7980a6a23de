package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWrites: every write from many goroutines is kept whole.
func TestConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				if n, err := b.Write([]byte("abc\n")); n != 4 || err != nil {
					t.Errorf("Write = %d, %v", n, err)
				}
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	s := b.String()
	if got := strings.Count(s, "abc\n"); got != 800 || len(s) != 3200 {
		t.Fatalf("%d whole writes in %d bytes, want 800 in 3200", got, len(s))
	}
}
