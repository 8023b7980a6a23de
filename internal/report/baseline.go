package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/specgate/specgate/internal/atomicfile"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/jsonenc"
	"github.com/specgate/specgate/models"
)

// Known-deviation baseline files (tlsfuzzer's "expected failures"): a list
// of divergences a SUT is known to have, each with the reason it is
// accepted. See docs/report-schema.md.
const (
	BaselineSchema        = "specgate/baseline"
	BaselineSchemaVersion = 1
	// MaxBaselineSize bounds the size of a baseline file read from disk.
	MaxBaselineSize = 4 << 20
)

// BaselineFile is the on-disk form of a known-deviation baseline.
type BaselineFile struct {
	Schema        string      `json:"schema"`
	SchemaVersion int         `json:"schemaVersion"`
	Deviations    []Deviation `json:"deviations"`
	// Accepted lists the clause ids the vendor has accepted as checks
	// (every clause of every model when the baseline was written or last
	// accepted, `specgate baseline accept`). A new divergence under a
	// clause not listed comes from a check a newer specgate added: it is
	// reported as pending and does not fail the run until it is accepted.
	// Empty means every clause is accepted.
	Accepted []string `json:"accepted,omitempty"`
}

// Deviation is one known divergence. Its identity is its Signature: model,
// clause, kind, the set of expected outcomes and the observed outcome.
type Deviation struct {
	Model    string   `json:"model"`
	Clause   string   `json:"clause"`
	Kind     string   `json:"kind"`
	Expected []string `json:"expected"`
	Observed string   `json:"observed"`
	Reason   string   `json:"reason"`
	// Ticket and Owner say where the deviation is tracked and who answers
	// for it (free text, optional).
	Ticket string `json:"ticket,omitempty"`
	Owner  string `json:"owner,omitempty"`
	// Expires (YYYY-MM-DD, optional) is the last day the deviation is
	// accepted: a run that starts after it fails with exit 4.
	Expires string `json:"expires,omitempty"`
	// Proof is the failing sequence that shows the deviation. A listed
	// deviation a run does not meet counts as gone only when its proof,
	// replayed --verify times, no longer shows it; without a proof it is
	// "not checked".
	Proof *Proof `json:"proof,omitempty"`
}

// Proof is a deviation's failing sequence, embedded in the baseline so it
// survives the failure files it came from.
type Proof struct {
	Profile  string          `json:"profile"`
	Sequence []models.Action `json:"sequence"`
	// File is the failure file it was taken from, for reference.
	File string `json:"file,omitempty"`
}

// ExpiryLayout is the date format of Deviation.Expires.
const ExpiryLayout = "2006-01-02"

// Signature returns the deviation's stable signature (see SignatureOf).
func (d Deviation) Signature() string {
	return signature(d.Model, d.Clause, d.Kind, d.Expected, d.Observed)
}

// SignatureOf returns the stable signature of divergence d of model:
// "model|kind|clause|expected|observed", where expected is the sorted,
// de-duplicated set of expected outcomes joined with ",", and the
// characters '\', '|' and ',' inside a component are escaped with '\'. Step
// numbers, actions, details and transcripts are not part of it, so the
// same deviation found through another sequence has the same signature.
func SignatureOf(model string, d engine.Divergence) string {
	return signature(model, d.Clause, d.Kind, d.Expected, d.Observed)
}

var sigEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`, `,`, `\,`)

func signature(model, clause, kind string, expected []string, observed string) string {
	if engine.IsTransport(kind) {
		// A transport fault is one failure per kind, wherever it landed.
		clause, expected, observed = "", nil, ""
	}
	exp := sortedSet(expected)
	for i, e := range exp {
		exp[i] = sigEscaper.Replace(e)
	}
	return sigEscaper.Replace(model) + "|" + sigEscaper.Replace(kind) + "|" + sigEscaper.Replace(clause) + "|" +
		strings.Join(exp, ",") + "|" + sigEscaper.Replace(observed)
}

// sortedSet returns a sorted copy of xs without duplicates.
func sortedSet(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	j := 0
	for i, x := range out {
		if i > 0 && x == out[j-1] {
			continue
		}
		out[j] = x
		j++
	}
	return out[:j]
}

var knownKinds = []string{engine.KindDivergence, engine.KindCrash, engine.KindHang, engine.KindMalformed, engine.KindUnreachable}

// ReadBaseline loads and strictly validates the baseline file at path:
// the schema must be "specgate/baseline" with a schemaVersion this build
// reads, unknown fields are rejected, and every deviation needs a model, a
// clause, a known kind and a non-empty reason; no signature may be listed
// twice. Errors are one line and name the file.
func ReadBaseline(path string) (*BaselineFile, error) {
	data, err := readBounded(path, MaxBaselineSize, "baseline")
	if err != nil {
		return nil, err
	}
	b, err := ParseBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return b, nil
}

// ParseBaseline decodes and validates a baseline file's contents (see
// ReadBaseline).
func ParseBaseline(data []byte) (*BaselineFile, error) {
	if len(data) > MaxBaselineSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxBaselineSize)
	}
	var probe struct {
		Schema        string `json:"schema"`
		SchemaVersion int    `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a specgate baseline: invalid JSON: %s", oneLine(err))
	}
	if probe.Schema != BaselineSchema {
		return nil, fmt.Errorf("not a specgate baseline: schema is %q, want %q", probe.Schema, BaselineSchema)
	}
	if probe.SchemaVersion > BaselineSchemaVersion {
		return nil, fmt.Errorf("written by a newer specgate: schemaVersion %d, this build reads up to %d", probe.SchemaVersion, BaselineSchemaVersion)
	}
	if probe.SchemaVersion < 1 {
		return nil, fmt.Errorf("invalid schemaVersion %d", probe.SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b BaselineFile
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("invalid baseline: %s", oneLine(err))
	}
	b.applyRenames()
	if err := b.validate(); err != nil {
		return nil, err
	}
	return &b, nil
}

func (b *BaselineFile) validate() error {
	if b.Deviations == nil {
		return errors.New(`invalid baseline: "deviations" is missing (use [] for none)`)
	}
	seen := map[string]int{}
	for i, d := range b.Deviations {
		at := "deviation " + strconv.Itoa(i+1)
		switch {
		case strings.TrimSpace(d.Model) == "":
			return fmt.Errorf("%s: model is empty", at)
		case strings.TrimSpace(d.Clause) == "" && !engine.IsTransport(d.Kind):
			return fmt.Errorf("%s (%s): clause is empty", at, d.Model)
		case !contains(knownKinds, d.Kind):
			return fmt.Errorf("%s (%s %s): unknown kind %q (known: %s)", at, d.Model, d.Clause, d.Kind, strings.Join(knownKinds, ", "))
		case strings.TrimSpace(d.Reason) == "":
			return fmt.Errorf("%s (%s %s): reason is empty: say why the deviation is accepted", at, d.Model, d.Clause)
		case d.Expires != "" && !validDate(d.Expires):
			return fmt.Errorf("%s (%s %s): expires %q is not a date (want YYYY-MM-DD)", at, d.Model, d.Clause, d.Expires)
		case d.Proof != nil && len(d.Proof.Sequence) == 0:
			return fmt.Errorf("%s (%s %s): proof has no sequence", at, d.Model, d.Clause)
		}
		sig := d.Signature()
		if j, dup := seen[sig]; dup {
			return fmt.Errorf("%s (%s %s): same deviation as deviation %d", at, d.Model, d.Clause, j+1)
		}
		seen[sig] = i
	}
	return nil
}

// NewBaselineFromReport lists every divergence of r (known or new) as a
// deviation with the given reason, sorted by model, clause, kind and
// signature, one per signature.
func NewBaselineFromReport(r *Report, reason string) *BaselineFile {
	b := &BaselineFile{Schema: BaselineSchema, SchemaVersion: BaselineSchemaVersion, Deviations: []Deviation{}}
	seen := map[string]bool{}
	for _, m := range r.Models {
		for _, d := range m.Divergences {
			dev := Deviation{Model: m.Name, Clause: d.Clause, Kind: d.Kind, Expected: sortedSet(d.Expected),
				Observed: d.Observed, Reason: reason}
			if len(d.Sequence) > 0 {
				dev.Proof = &Proof{Profile: m.Profile, Sequence: d.Sequence, File: d.File}
			}
			if dev.Expected == nil {
				dev.Expected = []string{}
			}
			sig := dev.Signature()
			if seen[sig] {
				continue
			}
			seen[sig] = true
			b.Deviations = append(b.Deviations, dev)
		}
	}
	sort.SliceStable(b.Deviations, func(i, j int) bool {
		x, y := b.Deviations[i], b.Deviations[j]
		if x.Model != y.Model {
			return x.Model < y.Model
		}
		if x.Clause != y.Clause {
			return x.Clause < y.Clause
		}
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		return x.Signature() < y.Signature()
	})
	return b
}

// Write validates b (as ReadBaseline would) and stores it atomically at
// path as indented JSON. A baseline with an empty reason is refused.
func (b *BaselineFile) Write(path string) error {
	out := *b
	if out.Schema == "" {
		out.Schema = BaselineSchema
	}
	if out.SchemaVersion == 0 {
		out.SchemaVersion = BaselineSchemaVersion
	}
	if out.Deviations == nil {
		out.Deviations = []Deviation{}
	}
	if out.Schema != BaselineSchema || out.SchemaVersion > BaselineSchemaVersion {
		return fmt.Errorf("write baseline %s: schema %q version %d is not %q version %d", path, out.Schema, out.SchemaVersion, BaselineSchema, BaselineSchemaVersion)
	}
	if err := out.validate(); err != nil {
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	data, err := jsonenc.Indent(&out)
	if err != nil {
		return fmt.Errorf("encode baseline: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	return nil
}

// Apply compares the run with the baseline b read from file (b may be nil:
// an empty baseline); see ApplyWith. Listed deviations the run did not meet
// are judged without replaying their proofs: they count as gone when the
// run was complete and they have a proof, which is how merge and tests
// that already replayed them use it.
func Apply(r *Report, b *BaselineFile, file string) {
	ApplyWith(r, b, file, ApplyOptions{ProofsReplayed: false})
}

// ApplyOptions are what ApplyWith knows beyond the report and baseline.
type ApplyOptions struct {
	// ProofsReplayed says the run replayed the proofs of the listed
	// deviations it did not meet: Replayed holds the signatures whose
	// proof it replayed, Reproduced those whose proof still showed the
	// deviation. A proof it could not replay leaves its deviation not
	// checked. Without ProofsReplayed a listed deviation with a proof that
	// the run did not meet counts as gone.
	ProofsReplayed bool
	Replayed       map[string]bool
	Reproduced     map[string]bool
}

// ApplyWith compares the run with the baseline. Every divergence gets its
// Signature (SignatureOf) and is marked Known when b lists it, or Pending
// when it is new and falls under a clause b has not accepted (a check a
// newer specgate added: reported, not failing). r.Baseline records the
// signatures that are Known (listed and seen, or not seen but their proof
// still reproduces), New (seen, not listed), Pending, Resolved (listed for
// a model of the run, not seen, in a complete run, and their proof no
// longer shows them) and Expired (listed with an Expires date before the
// run's start date). Listed deviations that could not be judged (their
// model is not in the run, the run is partial, or they have no proof) go
// to NotChecked and never make a run fail. Finally the verdict and exit
// code are recomputed (see Recompute).
func ApplyWith(r *Report, b *BaselineFile, file string, o ApplyOptions) {
	listed := map[string]bool{}
	if b != nil {
		for _, d := range b.Deviations {
			listed[d.Signature()] = true
		}
	}
	accepted := acceptedClauses(b)
	bl := &Baseline{File: file, Known: []string{}, New: []string{}, Resolved: []string{}}
	seen := map[string]bool{}
	inRun := map[string]bool{}
	for mi := range r.Models {
		m := &r.Models[mi]
		inRun[m.Name] = true
		for di := range m.Divergences {
			d := &m.Divergences[di]
			d.Signature = SignatureOf(m.Name, d.Divergence)
			d.Known = listed[d.Signature]
			d.Pending = !d.Known && accepted != nil && d.Clause != "" && !accepted[d.Clause]
			if seen[d.Signature] {
				continue
			}
			seen[d.Signature] = true
			switch {
			case d.Known:
				bl.Known = append(bl.Known, d.Signature)
			case d.Pending:
				bl.Pending = append(bl.Pending, d.Signature)
			default:
				bl.New = append(bl.New, d.Signature)
			}
		}
	}
	if b != nil {
		judgeUnseen(bl, b, r, seen, inRun, o)
	}
	sort.Strings(bl.Known)
	sort.Strings(bl.New)
	sort.Strings(bl.Pending)
	sort.Strings(bl.Resolved)
	sort.Strings(bl.NotChecked)
	sort.Strings(bl.Expired)
	r.Baseline = bl
	Recompute(r)
}

// judgeUnseen sorts the listed deviations the run did not meet, and the
// expired ones.
func judgeUnseen(bl *Baseline, b *BaselineFile, r *Report, seen, inRun map[string]bool, o ApplyOptions) {
	day := r.Run.Started.UTC().Format(ExpiryLayout)
	for _, d := range b.Deviations {
		sig := d.Signature()
		if d.Expires != "" && day > d.Expires {
			bl.Expired = append(bl.Expired, sig)
		}
		switch {
		case seen[sig]:
		case !inRun[d.Model] || r.Run.Partial || d.Proof == nil:
			bl.NotChecked = append(bl.NotChecked, sig)
		case o.ProofsReplayed && !o.Replayed[sig]:
			bl.NotChecked = append(bl.NotChecked, sig)
		case o.ProofsReplayed && o.Reproduced[sig]:
			bl.Known = append(bl.Known, sig) // not met at random, but its proof still shows it
			bl.Reproduced = append(bl.Reproduced, sig)
		default:
			bl.Resolved = append(bl.Resolved, sig)
		}
	}
	sort.Strings(bl.Reproduced)
}

// acceptedClauses is the set of clauses b accepts, nil for all.
func acceptedClauses(b *BaselineFile) map[string]bool {
	if b == nil || len(b.Accepted) == 0 {
		return nil
	}
	m := make(map[string]bool, len(b.Accepted))
	for _, c := range b.Accepted {
		m[c] = true
	}
	return m
}

func validDate(s string) bool {
	_, err := time.Parse(ExpiryLayout, s)
	return err == nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// readBounded reads at most max bytes of the file at path; what names the
// file in errors.
func readBounded(path string, max int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > max {
		return nil, fmt.Errorf("%s %s is larger than %d bytes", what, path, max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s %s is larger than %d bytes", what, path, max)
	}
	return data, nil
}
