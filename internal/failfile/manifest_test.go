package failfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestManifestClearsOnlyWhatSpecgateWrote: a second run removes the failure
// files the first run wrote, and never a file it did not write.
func TestManifestClearsOnlyWhatSpecgateWrote(t *testing.T) {
	dir := t.TempDir()
	m, removed, err := OpenManifest(dir)
	if err != nil || removed != 0 {
		t.Fatalf("first open: removed %d, %v", removed, err)
	}
	path, err := sample().Write(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add(path); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "mine.json")
	os.WriteFile(foreign, []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(dir, ManifestName), append(mustRead(t, filepath.Join(dir, ManifestName)), []byte("../escape.json\n/abs.json\n")...), 0o644)
	outside := filepath.Join(filepath.Dir(dir), "escape.json")
	os.WriteFile(outside, []byte("{}"), 0o644)
	defer os.Remove(outside)

	_, removed, err = OpenManifest(dir)
	if err != nil || removed != 1 {
		t.Fatalf("second open: removed %d, %v", removed, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("stale failure file %s is still there", path)
	}
	for _, keep := range []string{foreign, outside} {
		if _, err := os.Stat(keep); err != nil {
			t.Fatalf("a file specgate did not write was removed: %s", keep)
		}
	}
	if got := mustRead(t, filepath.Join(dir, ManifestName)); len(got) != 0 {
		t.Fatalf("new manifest not empty: %q", got)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
