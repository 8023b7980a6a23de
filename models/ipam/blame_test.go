package ipam

import "testing"

// TestBlameNeedsAWriter: a wrong answer to a query is the query's clause
// while nothing in the session wrote the flag (the reset or the control
// endpoint set it), and the writing step's once one did.
func TestBlameNeedsAWriter(t *testing.T) {
	run(t, New(Documented, true), []step{
		{act: a(OpCtlRequired, -1, 0)},
		{act: a(OpIsRequired, -1, 0), obs: Obs{Value: true}, wantDiv: ClQueryRequired},
	})
	run(t, New(Documented, true), []step{
		{act: a(OpIsRequired, -1, 0), obs: Obs{Value: false}, wantDiv: ClQueryRequired},
	})
	// A failed conversion (step 6) clears the in-progress flag; a second
	// Start refused as "in progress" is filed under step 6, not step 5.
	run(t, New(Documented, true), []step{
		{act: a(OpCtlFailNext, -1, int(Schema))},
		{act: a(OpInitSchema, 0, 0)},
		{act: a(OpStartSchema, 0, 0), obs: cbs(0, start, fail)},
		{act: a(OpInitSchema, 1, 0)},
		{act: a(OpStartSchema, 1, 0), obs: cbs(1, start, fail), wantDiv: ClSchemaStep6},
	})
}
