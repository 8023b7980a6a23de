package models

// Reach is what a model declares, for one configuration (profile and
// environment), about the coverage a run can show. Reports list these
// apart from "not reached" with their reason, and cell coverage leaves the
// unreachable cells out of its denominator.
type Reach struct {
	// Cells maps each cell the model proves can never be exercised in this
	// configuration to why (the argument, with the clause or ambiguity it
	// rests on). A declared cell that a run does exercise is a model error.
	Cells map[string]string `json:"cells,omitempty"`
	// Clauses maps each clause the generator does not reach against a
	// conformant system to why: the profile reads another clause in its
	// place, or only a faulty server or the environment can exercise it.
	// A run may still reach such a clause (a faulty SUT does).
	Clauses map[string]string `json:"clauses,omitempty"`
}
