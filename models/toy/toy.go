// Package toy is a deliberately small third model: a lock service with
// two states, three calls and one ambiguity, given entirely as one table.
// It exists to show what adding a state machine takes (docs/architecture.md):
// this package, a reference (fixtures/toyref) and one registry line.
package toy

import "github.com/specgate/specgate/models"

// States and operations.
const (
	Unlocked = "Unlocked"
	Locked   = "Locked"

	OpLock   = "Lock"
	OpUnlock = "Unlock"
	OpStatus = "Status"
)

// Clause ids, each written once.
const (
	ClAcquire  = "toy/lock/acquire"
	ClBusy     = "toy/lock/busy"
	ClRelease  = "toy/unlock/release"
	ClNotHeld  = "toy/unlock/not-held"
	ClIdem     = "toy/unlock/idempotent"
	ClStatus   = "toy/status"
	src        = "toy lock service, section 2"
	ambUnlock  = "TOY-A1"
	sideStrict = "not held"
	sideLax    = "idempotent"
)

// Table is the whole model.
var Table = &models.Table{
	Info: models.Info{
		Name:     "toy",
		Title:    "toy lock service (2 states x 3 calls), the worked example of adding a model",
		Profiles: []string{models.ProfileStrict, models.ProfileDocumented},
		Clauses: []models.Clause{
			{ID: ClAcquire, Source: src + ".1", Text: "Lock on an unlocked lock MUST answer OK and lock it."},
			{ID: ClBusy, Source: src + ".1", Text: "Lock on a locked lock MUST answer BUSY and change nothing."},
			{ID: ClRelease, Source: src + ".2", Text: "Unlock on a locked lock MUST answer OK and unlock it."},
			{ID: ClNotHeld, Source: src + ".2", Text: "Unlock on an unlocked lock MUST answer NOT_HELD."},
			{ID: ClIdem, Source: src + ", example 3", Text: "Unlocking twice is harmless (the example answers OK)."},
			{ID: ClStatus, Source: src + ".3", Text: "Status answers LOCKED or UNLOCKED, the lock's state."},
		},
		Ambiguities: []models.Ambiguity{{
			ID: ambUnlock, Summary: "Unlock on an unlocked lock",
			Sides: []models.AmbiguitySide{
				{Name: sideStrict, Source: src + ".2", Text: "NOT_HELD", Clauses: []string{ClNotHeld}},
				{Name: sideLax, Source: src + ", example 3", Text: "OK", Clauses: []string{ClIdem}},
			},
			Either: true,
			Choice: map[string]string{models.ProfileStrict: sideStrict, models.ProfileDocumented: models.SideEither},
		}},
		Cells: []string{Unlocked + "/" + OpLock, Unlocked + "/" + OpUnlock, Unlocked + "/" + OpStatus,
			Locked + "/" + OpLock, Locked + "/" + OpUnlock, Locked + "/" + OpStatus},
	},
	Initial: Unlocked,
	Ops:     []string{OpLock, OpUnlock, OpStatus},
	Success: "OK",
	Rows: []models.Row{
		{State: Unlocked, Op: OpLock, Status: "OK", Next: Locked, Clause: ClAcquire},
		{State: Locked, Op: OpLock, Status: "BUSY", Next: Locked, Clause: ClBusy},
		{State: Locked, Op: OpUnlock, Status: "OK", Next: Unlocked, Clause: ClRelease},
		{State: Unlocked, Op: OpUnlock, Status: "NOT_HELD", Next: Unlocked, Clause: ClNotHeld, Ambiguity: ambUnlock, Side: sideStrict},
		{State: Unlocked, Op: OpUnlock, Status: "OK", Next: Unlocked, Clause: ClIdem, Ambiguity: ambUnlock, Side: sideLax},
		{State: Unlocked, Op: OpStatus, Status: "UNLOCKED", Next: Unlocked, Clause: ClStatus},
		{State: Locked, Op: OpStatus, Status: "LOCKED", Next: Locked, Clause: ClStatus},
	},
}
