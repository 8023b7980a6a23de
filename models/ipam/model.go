// Package ipam is the reference model of MS-IPAMM2 asynchronous schema
// conversion (3.15, seed 001) and provisioning (3.11), seen from the
// management client: the server processing of StartAsyncSchemaConversion
// (3.15.4.7) and StartAsyncProvisioning (3.11.4.7) over the ADM variables,
// the server session order (3.11.1.1, 3.15.1.1: Initialize before Start),
// the pre-operation gate (3.1.4.2), the IIpamServer queries that expose the
// ADM, and the callback session machines IIpamAsyncSchemaCallback (3.17.1.1,
// seed 000) and IIpamAsyncProvisionCallback (3.13.1.1, seed 003).
//
// The model is pure. The ADM is tracked as a set of possible worlds; the
// number of checkpoints and the time to completion are the server's choice.
package ipam

import (
	"fmt"

	"github.com/specgate/specgate/models"
)

// Family is the port-type family of a session.
type Family uint8

// The two families.
const (
	Schema Family = iota
	Provision
)

func (f Family) String() string {
	if f == Schema {
		return "schema"
	}
	return "provision"
}

// Phase is the harness's view of a session slot.
type Phase uint8

// Session phases.
const (
	None        Phase = iota // no session in the slot
	Initialized              // Initialize answered; Start not sent yet
	Held                     // accepted and held in progress by the control endpoint
	Completed                // Complete received (or the session was rejected)
)

var phaseNames = [...]string{"None", "Initialized", "Held", "Completed"}

func (p Phase) String() string { return phaseNames[p] }

// CBState is the callback session state (3.13.1.1 / 3.17.1.1).
type CBState uint8

// Callback session states.
const (
	CBInitialized CBState = iota // Callback Initialized
	CBInProgress                 // In Progress
	CBCompleted                  // Completed
)

// CBKind is the kind of a callback.
type CBKind uint8

// Callback kinds.
const (
	CBStart CBKind = iota
	CBCheckpoint
	CBComplete
)

var kindNames = [...]string{"Start", "Checkpoint", "Complete"}

func (k CBKind) String() string { return kindNames[k] }

// Callback is one callback the server sent, as the runner decoded it.
type Callback struct {
	Family         Family
	Kind           CBKind
	CallbackPrefix bool   // Action used the callback port type (…Callback/…)
	Exception      bool   // Complete carried a non-nil exception
	ExceptionID    string // its ExceptionId, if any
}

// String renders the callback as "NotifyAsyncSchemaConversionComplete(exception=IpamSchemaConversionNotRequired)".
func (c Callback) String() string {
	name := "NotifyAsyncProvision"
	if c.Family == Schema {
		name = "NotifyAsyncSchemaConversion"
	}
	s := name + c.Kind.String()
	if c.Kind == CBComplete {
		if c.Exception {
			id := c.ExceptionID
			if id == "" {
				id = "set"
			}
			s += "(exception=" + id + ")"
		} else {
			s += "(exception=nil)"
		}
	}
	return s
}

// NumSlots is the number of concurrent sessions the generator uses.
const NumSlots = 2

// Operations (models.Action.Op). Idx is the session slot for session
// operations, -1 otherwise; Arg is the value for control operations.
const (
	OpInitSchema    = "InitializeAsyncSchemaConversion"
	OpStartSchema   = "StartAsyncSchemaConversion"
	OpInitProv      = "InitializeAsyncProvisioning"
	OpStartProv     = "StartAsyncProvisioning"
	OpIsRequired    = "IsSchemaConversionRequired"
	OpIsInProgress  = "IsSchemaConversionInProgress"
	OpIsConfigured  = "IsIpamConfigured"
	OpCtlRequired   = "ctl.SetSchemaConversionRequired"
	OpCtlConfigured = "ctl.SetIpamConfigured"
	OpCtlFailNext   = "ctl.FailNext"
	OpCtlHold       = "ctl.Hold"
	OpCtlRelease    = "ctl.Release"
)

// Profile says which side of each ambiguity the model takes: two bits per
// ambiguity k of Ambiguities, at bit 2k: 0 for Sides[0], 1 for Sides[1],
// 2 for both (models.SideEither). It is the model's one choice point per
// ambiguity; a profile name or a vendor's statement resolves to it.
type Profile uint32

// Choice points: the index of each ambiguity in Ambiguities.
const (
	aE1  = iota // IPAM-E1: which start notification a conversion sends
	aE3         // IPAM-E3: fault delivery of a step 1/3 rejection
	aE5         // IPAM-E5: InProgress after a "not required" rejection
	aE6         // IPAM-E6: start notification before the checks
	aE13        // IPAM-E13: Complete without Start
	aE16        // IPAM-E16: callback Action prefix
	aE4         // IPAM-E4: ProvisioningInProgress set while provisioning
	aG1         // IPAM-G1: fault delivery of a 3.1.4.2 gate rejection
)

const sideBoth = 2

// The two profiles: strict reads the seed sections literally and accepts
// either side where the seeds themselves disagree; documented follows the
// figures, the WSDL and the wire examples.
const (
	Strict     Profile = sideBoth<<(2*aE1) | sideBoth<<(2*aE3) | sideBoth<<(2*aG1)
	Documented Profile = 1<<(2*aE1) | 1<<(2*aE3) | 1<<(2*aE5) | 1<<(2*aE6) | 1<<(2*aE13) |
		sideBoth<<(2*aE16) | 1<<(2*aE4) | 1<<(2*aG1)
)

// side returns the side ambiguity k takes: 0, 1, or sideBoth.
func (p Profile) side(k int) int { return int(p>>(2*k)) & 3 }

// allows reports whether ambiguity k accepts the reading of side i.
func (p Profile) allows(k, i int) bool { s := p.side(k); return s == i || s == sideBoth }

// ParseProfile maps a profile name ("strict", "documented") or a
// statement's choices string (models.ChoicesPrefix) to a Profile.
func ParseProfile(name string) (Profile, error) {
	sides, err := models.Resolve(name, []string{models.ProfileStrict, models.ProfileDocumented}, Ambiguities)
	if err != nil {
		return 0, fmt.Errorf("ipam: %w", err)
	}
	var p Profile
	for k, s := range sides {
		if s == models.Either {
			s = sideBoth
		}
		p |= Profile(s) << (2 * k)
	}
	return p, nil
}

// String names p: "strict", "documented", or the choices string of a
// statement.
func (p Profile) String() string {
	switch p {
	case Strict:
		return models.ProfileStrict
	case Documented:
		return models.ProfileDocumented
	}
	c := map[string]string{}
	for k, a := range Ambiguities {
		if s := p.side(k); s == sideBoth {
			c[a.ID] = models.SideEither
		} else {
			c[a.ID] = a.Sides[s].Name
		}
	}
	return models.FormatChoices(c, Ambiguities)
}

// Session is one session slot.
type Session struct {
	Fam      Family
	Phase    Phase
	CB       CBState
	SawStart bool
	// Fail is whether a held session's conversion/provisioning fails
	// when released (decided by ctl.FailNext when it was accepted).
	Fail bool
	// World the held session was accepted in (for its completion).
	heldConfigured bool
	lastExc        bool
}

// Model is the state of one management server as the harness sees it.
type Model struct {
	Profile Profile
	// Control is true when the vendor control endpoint is available; the
	// run then resets the server and the ADM is known exactly.
	Control  bool
	W        Worlds
	S        [NumSlots]Session
	Hold     bool
	FailNext [2]bool
	// Exercised lists the clauses the last Observe exercised (for coverage).
	Exercised []string
	// wrote[i] is the clause whose step last wrote ADM bit 1<<i in this
	// session ("" while the bit is as the reset or the control endpoint
	// left it). A read of the ADM that the SUT answers as if that bit
	// were the other way is filed under that clause (blame). It decides
	// no expectation, so it is not part of the state key.
	wrote [numBits]string
}

// numBits is the number of ADM variable bits of a World.
const numBits = 4

// New returns the model of a server: with control, freshly reset to
// ResetWorld; without, in any world consistent with 3.1.3.
func New(p Profile, control bool) *Model {
	m := &Model{Profile: p, Control: control, W: initialWorlds()}
	if control {
		m.W = one(ResetWorld)
	}
	return m
}

// Alphabet returns the actions for a server with or without control.
func Alphabet(control bool) []models.Action {
	var a []models.Action
	for k := 0; k < NumSlots; k++ {
		a = append(a,
			models.Action{Op: OpInitSchema, Idx: k}, models.Action{Op: OpStartSchema, Idx: k},
			models.Action{Op: OpInitProv, Idx: k}, models.Action{Op: OpStartProv, Idx: k})
	}
	a = append(a, models.Action{Op: OpIsRequired, Idx: -1}, models.Action{Op: OpIsInProgress, Idx: -1},
		models.Action{Op: OpIsConfigured, Idx: -1})
	if control {
		a = append(a,
			models.Action{Op: OpCtlRequired, Idx: -1, Arg: 0}, models.Action{Op: OpCtlRequired, Idx: -1, Arg: 1},
			models.Action{Op: OpCtlConfigured, Idx: -1, Arg: 0}, models.Action{Op: OpCtlConfigured, Idx: -1, Arg: 1},
			models.Action{Op: OpCtlFailNext, Idx: -1, Arg: int(Schema)}, models.Action{Op: OpCtlFailNext, Idx: -1, Arg: int(Provision)},
			models.Action{Op: OpCtlHold, Idx: -1}, models.Action{Op: OpCtlRelease, Idx: -1})
	}
	return a
}

func family(op string) Family {
	if op == OpInitProv || op == OpStartProv {
		return Provision
	}
	return Schema
}
