package failfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/specgate/specgate/internal/atomicfile"
)

// ManifestName is the file in a failures directory that lists, one name a
// line, the failure files specgate wrote there. A run removes exactly those
// files before it writes its own, so failures of earlier runs are never
// counted again and files specgate did not write are never touched.
const ManifestName = ".specgate-written"

// Manifest records the failure files one run writes into a directory.
type Manifest struct {
	dir   string
	mu    sync.Mutex
	names []string
}

// OpenManifest removes from dir every failure file that an earlier run
// listed in dir's manifest, then starts an empty manifest (written
// atomically) and returns it with the number of files removed. Files not
// in the manifest are left alone; a listed file already gone is skipped;
// names that are not plain file names are ignored. dir is created when
// missing.
func OpenManifest(dir string) (*Manifest, int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("failures directory: %w", err)
	}
	path := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("read failure manifest: %w", err)
	}
	removed := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if !plainName(name) {
			continue
		}
		p := filepath.Join(dir, name)
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(p); err != nil {
			return nil, removed, fmt.Errorf("remove stale failure file: %w", err)
		}
		removed++
	}
	m := &Manifest{dir: dir}
	if err := m.flush(); err != nil {
		return nil, removed, err
	}
	return m, removed, nil
}

// plainName reports whether name is a failure file name written by Write:
// no directory part, ends in .json.
func plainName(name string) bool {
	return name != "" && filepath.Base(name) == name && name != "." && name != ".." &&
		!strings.ContainsAny(name, `/\`) && strings.HasSuffix(name, ".json")
}

// Add records that the failure file at path (in the manifest's directory)
// was written by this run, and rewrites the manifest atomically.
func (m *Manifest) Add(path string) error {
	name := filepath.Base(path)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.names {
		if n == name {
			return nil
		}
	}
	m.names = append(m.names, name)
	return m.flushLocked()
}

func (m *Manifest) flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.flushLocked()
}

func (m *Manifest) flushLocked() error {
	var b strings.Builder
	for _, n := range m.names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	if err := atomicfile.Write(filepath.Join(m.dir, ManifestName), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write failure manifest: %w", err)
	}
	return nil
}
