package vdi

// State is the client state of a virtual device set (Client Transitions
// table). The Abort state is also called Abnormally Terminated by the Close
// page and the Linux document; they are the same state.
type State uint8

// The six client states, in the column order of the seed table.
const (
	DNE State = iota
	Configurable
	Initializing
	Active
	NormallyTerminated
	Abort
	numStates
)

// States lists the six states in table order.
var States = [numStates]State{DNE, Configurable, Initializing, Active, NormallyTerminated, Abort}

var stateNames = [numStates]string{"DNE", "Configurable", "Initializing", "Active", "NormallyTerminated", "Abort"}

func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return "State(?)"
}

// Fn is a client function row of the seed table.
type Fn uint8

// The seven function rows, in table order. FnCreate covers Create and CreateEx.
const (
	FnCreate Fn = iota
	FnGetConfiguration
	FnOpenDevice
	FnGetCommand
	FnCompleteCommand
	FnSignalAbort
	FnClose
	numFns
)

// Fns lists the seven function rows in table order.
var Fns = [numFns]Fn{FnCreate, FnGetConfiguration, FnOpenDevice, FnGetCommand, FnCompleteCommand, FnSignalAbort, FnClose}

var fnNames = [numFns]string{"Create", "GetConfiguration", "OpenDevice", "GetCommand", "CompleteCommand", "SignalAbort", "Close"}

func (f Fn) String() string {
	if f < numFns {
		return fnNames[f]
	}
	return "Fn(?)"
}

// cellIDs holds the clause id of every cell: vdi/client-table/<State>/<Fn>.
var cellIDs = func() (ids [numStates][numFns]string) {
	for s := range States {
		for f := range Fns {
			ids[s][f] = "vdi/client-table/" + stateNames[s] + "/" + fnNames[f]
		}
	}
	return
}()

// CellID returns the clause id of the table cell for state s and function f.
func CellID(s State, f Fn) string { return cellIDs[s][f] }
