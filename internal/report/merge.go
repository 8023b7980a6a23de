package report

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/specgate/specgate/internal/coverage"
)

// Merge combines the reports of the shards of one run (`--shard i/n`) into
// one report. Every report must have the same schema, schema version,
// specgate version, target, profile and seed. Per model, checks and steps
// are summed and coverage counts added; divergences are united, one per
// signature (SignatureOf), keeping the one found at the lowest check index,
// and sorted by check index then signature. The merged run's checks and
// steps are the sums, Started the earliest, Finished the latest, WallTime
// the largest (shards run side by side), Partial is set when any shard was
// partial, MinCoverage is the largest, and Shard is cleared. The baseline
// is not carried over (Known flags are cleared; apply it again with Apply)
// and the verdict and exit code are recomputed. The inputs are not
// modified.
func Merge(reports []*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, errors.New("merge: no reports")
	}
	for i, r := range reports {
		if r == nil {
			return nil, fmt.Errorf("merge: report %d is nil", i+1)
		}
	}
	first := reports[0]
	schema := func(r *Report) string {
		if r.Schema == "" {
			return Schema
		}
		return r.Schema
	}
	for i, r := range reports[1:] {
		n := i + 2
		switch {
		case schema(r) != schema(first):
			return nil, fmt.Errorf("merge: report %d has schema %q, report 1 has %q", n, schema(r), schema(first))
		case r.SchemaVersion != first.SchemaVersion:
			return nil, fmt.Errorf("merge: report %d has schemaVersion %d, report 1 has %d", n, r.SchemaVersion, first.SchemaVersion)
		case r.Run.Version != first.Run.Version:
			return nil, fmt.Errorf("merge: report %d was written by specgate %q, report 1 by %q", n, r.Run.Version, first.Run.Version)
		case r.Run.Target != first.Run.Target:
			return nil, fmt.Errorf("merge: report %d has target %q, report 1 has %q", n, r.Run.Target, first.Run.Target)
		case r.Run.Profile != first.Run.Profile:
			return nil, fmt.Errorf("merge: report %d has profile %q, report 1 has %q", n, r.Run.Profile, first.Run.Profile)
		case r.Run.Seed != first.Run.Seed:
			return nil, fmt.Errorf("merge: report %d has seed %d, report 1 has %d", n, r.Run.Seed, first.Run.Seed)
		}
	}

	out := &Report{Schema: schema(first), SchemaVersion: first.SchemaVersion}
	if out.SchemaVersion == 0 {
		out.SchemaVersion = SchemaVersion
	}
	out.Run = Run{Version: first.Run.Version, Target: first.Run.Target, Profile: first.Run.Profile, Seed: first.Run.Seed, StrictEnvironment: first.Run.StrictEnvironment,
		Build: first.Run.Build}
	index := map[string]int{}   // model name -> index in out.Models
	bySig := []map[string]int{} // per model: signature -> index in Divergences
	for ri, r := range reports {
		out.Run.Checks += r.Run.Checks
		out.Run.Steps += r.Run.Steps
		if !r.Run.Started.IsZero() && (out.Run.Started.IsZero() || r.Run.Started.Before(out.Run.Started)) {
			out.Run.Started = r.Run.Started
		}
		if r.Run.Finished.After(out.Run.Finished) {
			out.Run.Finished = r.Run.Finished
		}
		out.Run.WallTime = max(out.Run.WallTime, r.Run.WallTime)
		out.Run.MinCoverage = max(out.Run.MinCoverage, r.Run.MinCoverage)
		out.Run.Partial = out.Run.Partial || r.Run.Partial

		for _, m := range r.Models {
			mi, ok := index[m.Name]
			if !ok {
				mi = len(out.Models)
				index[m.Name] = mi
				bySig = append(bySig, map[string]int{})
				out.Models = append(out.Models, Model{Name: m.Name, Title: m.Title, Profile: m.Profile,
					Clauses: m.Clauses, Ambiguities: m.Ambiguities})
			}
			om := &out.Models[mi]
			if m.Profile != om.Profile {
				return nil, fmt.Errorf("merge: report %d has model %s with profile %q, an earlier report has %q", ri+1, m.Name, m.Profile, om.Profile)
			}
			if om.Title == "" {
				om.Title = m.Title
			}
			if len(om.Clauses) == 0 {
				om.Clauses = m.Clauses
			}
			if len(om.Ambiguities) == 0 {
				om.Ambiguities = m.Ambiguities
			}
			om.Checks += m.Checks
			om.Steps += m.Steps
			if m.Coverage != nil {
				if om.Coverage == nil {
					om.Coverage = coverage.New(m.Name, nil, nil)
					if m.Coverage.Model != "" {
						om.Coverage.Model = m.Coverage.Model
					}
				}
				om.Coverage.Merge(m.Coverage)
			}
			for _, w := range m.Warnings {
				om.Warnings = append(om.Warnings, "shard "+r.Run.Shard+": "+w)
			}
			om.Inconclusive = mergeInconclusive(om.Inconclusive, m)
			for _, d := range m.Divergences {
				d.Signature = SignatureOf(m.Name, d.Divergence)
				d.Known = false
				if j, dup := bySig[mi][d.Signature]; dup {
					if d.Check < om.Divergences[j].Check {
						om.Divergences[j] = d
					}
					continue
				}
				bySig[mi][d.Signature] = len(om.Divergences)
				om.Divergences = append(om.Divergences, d)
			}
		}
	}
	for i := range out.Models {
		ds := out.Models[i].Divergences
		sort.SliceStable(ds, func(a, b int) bool {
			if ds[a].Check != ds[b].Check {
				return ds[a].Check < ds[b].Check
			}
			return ds[a].Signature < ds[b].Signature
		})
	}
	Recompute(out)
	return out, nil
}

// mergeInconclusive adds m's inconclusive sequences to into, one per
// signature (the earliest check's).
func mergeInconclusive(into []Divergence, m Model) []Divergence {
	for _, d := range m.Inconclusive {
		d.Signature = SignatureOf(m.Name, d.Divergence)
		j := slices.IndexFunc(into, func(o Divergence) bool { return o.Signature == d.Signature })
		switch {
		case j < 0:
			into = append(into, d)
		case d.Check < into[j].Check:
			into[j] = d
		}
	}
	return into
}
