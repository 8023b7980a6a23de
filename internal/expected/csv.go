package expected

import (
	"encoding/csv"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
)

var clauseRef = regexp.MustCompile(`\[([a-z0-9][^\]\s]*)\]`)

// Strength classifies a clause for traceability: MUST, SHOULD or MAY when
// its text uses the keyword, "table" for a cell of a state table,
// otherwise "descriptive".
func Strength(id, text string) string {
	for _, k := range []string{"MUST", "SHOULD", "MAY"} {
		if strings.Contains(text, k) {
			return k
		}
	}
	if strings.Contains(id, "/client-table/") {
		return "table"
	}
	return "descriptive"
}

// WriteCSV writes one traceability row per clause of d: model, clause,
// strength, the cells whose expectations cite it and the sections
// (profiles) that judge it, then its source.
func WriteCSV(w io.Writer, d Doc) error {
	cells := map[string][]string{}
	sections := map[string][]string{}
	for _, s := range d.Sections {
		for _, c := range s.Cells {
			for _, k := range c.Cases {
				for _, a := range k.Allowed {
					for _, m := range clauseRef.FindAllStringSubmatch(a, -1) {
						id := m[1]
						if !slices.Contains(cells[id], c.Cell) {
							cells[id] = append(cells[id], c.Cell)
						}
						if !slices.Contains(sections[id], s.Name) {
							sections[id] = append(sections[id], s.Name)
						}
					}
				}
			}
		}
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"model", "clause", "strength", "cells", "judged in", "source"})
	for _, c := range d.Clauses {
		cs := cells[c.ID]
		sort.Strings(cs)
		_ = cw.Write([]string{d.Model, c.ID, Strength(c.ID, c.Text), strings.Join(cs, " "), strings.Join(sections[c.ID], "; "), c.Source})
	}
	cw.Flush()
	return cw.Error()
}
