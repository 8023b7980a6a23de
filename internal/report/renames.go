package report

// clauseRenames maps a clause id an earlier specgate used to the id that
// replaced it, so a baseline written by an earlier version keeps matching
// after an upgrade: ParseBaseline rewrites the clause of every deviation
// and every accepted clause through it (following chains). Add an entry
// whenever a model renames a clause id; never remove one.
var clauseRenames = map[string]string{}

// renamedClause returns the current id of clause.
func renamedClause(clause string) string {
	for i := 0; i < len(clauseRenames) && clauseRenames[clause] != ""; i++ {
		clause = clauseRenames[clause]
	}
	return clause
}

// applyRenames rewrites b's clause ids to the current ones.
func (b *BaselineFile) applyRenames() {
	for i := range b.Deviations {
		b.Deviations[i].Clause = renamedClause(b.Deviations[i].Clause)
	}
	for i := range b.Accepted {
		b.Accepted[i] = renamedClause(b.Accepted[i])
	}
}
