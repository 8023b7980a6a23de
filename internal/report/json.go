package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/specgate/specgate/internal/atomicfile"
	"github.com/specgate/specgate/internal/jsonenc"
	"github.com/specgate/specgate/models"
)

// Schema identifies a JSON report (docs/report-schema.md).
const Schema = "specgate/report"

// MaxReportSize bounds the size of a JSON report read from disk.
const MaxReportSize = 256 << 20

// ErrNewerSchema is wrapped by ReadJSON's error for reports written by a
// newer specgate.
var ErrNewerSchema = errors.New("report uses a newer schema")

// WriteJSON stores r atomically at path as indented JSON. An empty Schema
// or SchemaVersion is filled in with this build's; nil lists are written
// as [] so consumers never see null for a list. r is not modified.
func WriteJSON(path string, r *Report) error {
	data, err := MarshalJSON(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// MarshalJSON returns the indented JSON form of r written by WriteJSON,
// with a final newline.
func MarshalJSON(r *Report) ([]byte, error) {
	c := normalized(r)
	data, err := jsonenc.Indent(c)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return data, nil
}

// normalized returns a shallow copy of r with the schema filled in and nil
// lists replaced by empty ones; r itself is not modified.
func normalized(r *Report) *Report {
	c := *r
	if c.Schema == "" {
		c.Schema = Schema
	}
	if c.SchemaVersion == 0 {
		c.SchemaVersion = SchemaVersion
	}
	c.Models = make([]Model, len(r.Models))
	for i, m := range r.Models {
		if m.Clauses == nil {
			m.Clauses = []models.Clause{}
		}
		if m.Ambiguities == nil {
			m.Ambiguities = []models.Ambiguity{}
		}
		if m.Divergences == nil {
			m.Divergences = []Divergence{}
		} else {
			ds := make([]Divergence, len(m.Divergences))
			copy(ds, m.Divergences)
			for j := range ds {
				if ds[j].Expected == nil {
					ds[j].Expected = []string{}
				}
				if ds[j].Sequence == nil {
					ds[j].Sequence = []models.Action{}
				}
				if ds[j].Steps == nil {
					ds[j].Steps = []string{}
				}
			}
			m.Divergences = ds
		}
		c.Models[i] = m
	}
	if r.Baseline != nil {
		b := *r.Baseline
		for _, l := range []*[]string{&b.Known, &b.New, &b.Resolved} {
			if *l == nil {
				*l = []string{}
			}
		}
		c.Baseline = &b
	}
	return &c
}

// ReadJSON loads the JSON report at path. The schema must be
// "specgate/report"; a schemaVersion newer than SchemaVersion is refused
// (the error wraps ErrNewerSchema); unknown fields are ignored, as the
// schema only adds fields within a version. Files larger than
// MaxReportSize are refused.
func ReadJSON(path string) (*Report, error) {
	data, err := readBounded(path, MaxReportSize, "report")
	if err != nil {
		return nil, err
	}
	r, err := ParseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	return r, nil
}

// upgradeV1 turns a version 1 report, whose step and firstStep were
// 0-based, into the current version, where every step number is 1-based.
func upgradeV1(r *Report) {
	for i := range r.Models {
		m := &r.Models[i]
		for j := range m.Divergences {
			m.Divergences[j].Step++
		}
		for j := range m.Faults {
			m.Faults[j].FirstStep++
		}
	}
	r.SchemaVersion = SchemaVersion
}

// ParseJSON decodes and validates a JSON report (see ReadJSON).
func ParseJSON(data []byte) (*Report, error) {
	if len(data) > MaxReportSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxReportSize)
	}
	var probe struct {
		Schema        string `json:"schema"`
		SchemaVersion int    `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a specgate report: invalid JSON: %s", oneLine(err))
	}
	if probe.Schema != Schema {
		return nil, fmt.Errorf("not a specgate report: schema is %q, want %q", probe.Schema, Schema)
	}
	if probe.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%w: schemaVersion %d, this specgate reads up to %d (upgrade specgate)", ErrNewerSchema, probe.SchemaVersion, SchemaVersion)
	}
	if probe.SchemaVersion < 1 {
		return nil, fmt.Errorf("invalid schemaVersion %d", probe.SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("corrupt report: %s", oneLine(err))
	}
	for i, m := range r.Models {
		if m.Name == "" {
			return nil, fmt.Errorf("corrupt report: model %d has no name", i+1)
		}
	}
	if r.SchemaVersion == 1 {
		upgradeV1(&r)
	}
	return &r, nil
}
