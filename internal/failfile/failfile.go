// Package failfile reads and writes specgate failure files: human-readable
// JSON holding the model, profile, seed and the action sequence itself, so a
// failure stays replayable when the generator changes.
package failfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/specgate/specgate/internal/atomicfile"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/jsonenc"
	"github.com/specgate/specgate/models"
)

// Schema identifies a failure file; SchemaVersion is the newest version this
// build reads and the one it writes. Version 2 numbers divergence.step
// from 1, as every output does; version 1 files (numbered from 0) are
// still read and converted.
const (
	Schema        = "specgate/failure"
	SchemaVersion = 2
	// MaxSize bounds the size of a failure file read from disk.
	MaxSize = 16 << 20
)

// File is the on-disk form of a failure.
type File struct {
	Schema          string `json:"schema"`
	SchemaVersion   int    `json:"schemaVersion"`
	SpecgateVersion string `json:"specgateVersion"`
	Model           string `json:"model"`
	// Profile is the profile name, or the choices string of the
	// statement the run judged by (every ambiguity's side), so a replay
	// needs no statement file.
	Profile string `json:"profile"`
	// Statement names that statement: "FILE (implementation)".
	Statement      string            `json:"statement,omitempty"`
	Target         string            `json:"target"`
	Seed           uint64            `json:"seed"`
	Check          int               `json:"check"`
	CheckSeed      uint64            `json:"checkSeed"`
	OriginalLength int               `json:"originalLength"`
	Steps          []string          `json:"steps"`
	Sequence       []models.Action   `json:"sequence"`
	Divergence     engine.Divergence `json:"divergence"`
	Transcript     []string          `json:"transcript,omitempty"`
	Replay         string            `json:"replay"`
	// Class and Reproduced/Verify say how the failure held up when it
	// was replayed alone ("confirmed" = every time).
	Class      string `json:"class,omitempty"`
	Reproduced int    `json:"reproduced,omitempty"`
	Verify     int    `json:"verify,omitempty"`
	// ShrinkPartial says why shrinking was cut short by something other
	// than its replay budget; such a sequence may not be the minimum.
	ShrinkPartial string `json:"shrinkPartial,omitempty"`
	// Path is where the file was read from (not stored).
	Path string `json:"-"`
}

// FromFailure builds the file form of f.
func FromFailure(f engine.Failure, target, version string) *File {
	ff := &File{
		Schema: Schema, SchemaVersion: SchemaVersion, SpecgateVersion: version,
		Model: f.Model, Profile: f.Profile, Target: target, Seed: f.Seed, Check: f.Check,
		CheckSeed: f.CheckSeed, OriginalLength: f.Original, Sequence: f.Sequence,
		Divergence: f.Divergence, Transcript: f.Transcript,
		Class: f.Class, Reproduced: f.Reproduced, Verify: f.Verify, ShrinkPartial: f.Partial,
	}
	for _, a := range f.Sequence {
		ff.Steps = append(ff.Steps, a.String())
	}
	return ff
}

var slugRE = regexp.MustCompile(`[^A-Za-z0-9]+`)

// Name returns a deterministic file name for the failure.
func (f *File) Name() string {
	clause := strings.Trim(slugRE.ReplaceAllString(f.Divergence.Clause, "-"), "-")
	profile := f.Profile
	if strings.HasPrefix(profile, models.ChoicesPrefix) {
		profile = "statement"
	}
	return fmt.Sprintf("%s-%s-%s-%d-%d.json", f.Model, profile, clause, f.Seed, f.Check)
}

// Write stores f atomically in dir and returns its path. The replay command
// is filled in with the final path.
func (f *File) Write(dir string, replayCmd func(path string) string) (string, error) {
	path := filepath.Join(dir, f.Name())
	if replayCmd != nil {
		f.Replay = replayCmd(path)
	}
	data, err := jsonenc.Indent(f)
	if err != nil {
		return "", fmt.Errorf("encode failure file: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return "", fmt.Errorf("write failure file: %w", err)
	}
	return path, nil
}

// ErrNewerSchema is returned for files written by a newer specgate.
var ErrNewerSchema = errors.New("failure file uses a newer schema")

// Parse decodes and validates a failure file. validAction reports whether
// an action belongs to the file's model (nil skips that check).
func Parse(data []byte, validAction func(model string, a models.Action) error) (*File, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("failure file is larger than %d bytes", MaxSize)
	}
	var probe struct {
		Schema        string `json:"schema"`
		SchemaVersion int    `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a specgate failure file: invalid JSON: %s", oneLine(err))
	}
	if probe.Schema != Schema {
		return nil, fmt.Errorf("not a specgate failure file: schema is %q, want %q", probe.Schema, Schema)
	}
	if probe.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%w: version %d, this specgate reads up to %d", ErrNewerSchema, probe.SchemaVersion, SchemaVersion)
	}
	if probe.SchemaVersion < 1 {
		return nil, fmt.Errorf("failure file has invalid schemaVersion %d", probe.SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("corrupt failure file: %s", oneLine(err))
	}
	if f.Model == "" || f.Profile == "" {
		return nil, errors.New("corrupt failure file: model and profile are required")
	}
	if len(f.Sequence) == 0 {
		return nil, errors.New("corrupt failure file: the sequence is empty")
	}
	if f.SchemaVersion == 1 {
		// Version 1 numbered the failing step from 0.
		f.Divergence.Step++
		f.SchemaVersion = SchemaVersion
	}
	if validAction != nil {
		for i, a := range f.Sequence {
			if err := validAction(f.Model, a); err != nil {
				return nil, fmt.Errorf("corrupt failure file: step %d: %w", i+1, err)
			}
		}
	}
	return &f, nil
}

// Read loads and validates the failure file at path.
func Read(path string, validAction func(model string, a models.Action) error) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read failure file: %w", err)
	}
	if st.Size() > MaxSize {
		return nil, fmt.Errorf("failure file %s is larger than %d bytes", path, MaxSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read failure file: %w", err)
	}
	f, err := Parse(data, validAction)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
