package vdi

import (
	"strings"

	"github.com/specgate/specgate/models"
)

// Ops lists every operation of the alphabet; coverage cells are State x Op.
var Ops = []string{OpCreate, OpCreateEx, OpGetConfiguration, OpOpenDevice, OpGetCommand,
	OpCompleteCommand, OpSignalAbort, OpClose, OpServerOpen, OpServerSendCommand,
	OpServerCloseDevice, OpServerSignalAbort}

// OpIndex returns the index of op in Ops, or -1.
func OpIndex(op string) int {
	for i, o := range Ops {
		if o == op {
			return i
		}
	}
	return -1
}

// CellName names a coverage cell.
func CellName(s State, op string) string { return s.String() + "/" + op }

const (
	srcGetConfig    = "sql-docs iclientvirtualdeviceset2-getconfiguration.md"
	srcGetCommand   = "sql-docs iclientvirtualdevice-getcommand.md"
	srcOpenDevice   = "sql-docs iclientvirtualdeviceset2-opendevice.md"
	srcClose        = "sql-docs iclientvirtualdeviceset2-close.md"
	srcComplete     = "sql-docs iclientvirtualdevice-completecommand.md"
	srcNormalTerm   = "VDI spec, Normal Termination (vdi2005_34tq.htm); seed 002 status text"
	srcAbnormalTerm = "VDI spec, Abnormal Termination (vdi2005_50oe.htm); sql-docs iservervirtualdeviceset2-signalabort.md"
)

// Info describes the VDI model: its clauses, ambiguities and cells.
func Info() models.Info {
	inf := models.Info{
		Name:     "vdi",
		Title:    "SQL Server VDI client transitions (6 states x 7 functions) with server-side events",
		Profiles: []string{models.ProfileStrict, models.ProfileDocumented},
	}
	for _, f := range Fns {
		for _, s := range States {
			inf.Clauses = append(inf.Clauses, models.Clause{ID: CellID(s, f), Source: SeedSource,
				Text: f.String() + " in " + s.String() + ": " + SeedTable[f][s]})
		}
	}
	inf.Clauses = append(inf.Clauses,
		models.Clause{ID: ClauseGetConfigTimeout, Source: srcGetConfig, Text: "VD_E_TIMEOUT: The function timed out (the set stays Configurable)."},
		models.Clause{ID: ClauseGetCommandTimeout, Source: srcGetCommand, Text: "VD_E_TIMEOUT: No command was available and the time-out expired."},
		models.Clause{ID: ClauseGetCommandFIFO, Source: srcGetCommand + "; sql-docs iservervirtualdevice-sendcommand.md", Text: "NOERROR: A command was fetched (the command the server sent, in order)."},
		models.Clause{ID: ClauseGetCommandClose, Source: srcNormalTerm, Text: "After all devices are closed ... the virtual device set enters the Normally Terminated state."},
		models.Clause{ID: ClauseGetCommandAfterEnd, Source: srcGetCommand, Text: "VD_E_CLOSE: The device has been closed by the server."},
		models.Clause{ID: ClauseOpenDeviceNext, Source: srcOpenDevice, Text: "the virtual device set will return n unique device interfaces; the client may call OpenDevice in a loop."},
		models.Clause{ID: ClauseOpenDeviceOpen, Source: srcOpenDevice, Text: "VD_E_OPEN: All devices are open."},
		models.Clause{ID: ClauseOpenDeviceInvalid, Source: srcOpenDevice, Text: "VD_E_INVALID: The device name is invalid."},
		models.Clause{ID: ClauseOpenDeviceAgain, Source: srcOpenDevice, Text: "VD_E_PROTOCOL: ... or this particular device is already open."},
		models.Clause{ID: ClauseCloseOpenDevices, Source: srcClose, Text: "If Close is called when one or more virtual devices are still open, VD_E_OPEN is returned; SignalAbort is internally triggered and resources are released."},
		models.Clause{ID: ClauseCompleteUnknown, Source: srcComplete, Text: "VD_E_INVALID: pCmd was not an active command."},
		models.Clause{ID: ClauseServerOpen, Source: "sql-docs iservervirtualdeviceset2-open.md, -beginconfiguration.md, -endconfiguration.md", Text: "Open must be the first call; BeginConfiguration requires the Connected state; EndConfiguration moves the set to Initializing."},
		models.Clause{ID: ClauseServerSendCommand, Source: "sql-docs iservervirtualdevice-sendcommand.md", Text: "NOERROR: successfully queued; VD_E_PROTOCOL: The device is not active; VD_E_ABORT."},
		models.Clause{ID: ClauseServerCloseDevice, Source: "sql-docs iservervirtualdevice-closedevice.md", Text: "VD_E_CLOSE: The device is already closed; VD_E_ABORT: The interface is in the Abort state; after SignalAbort no action is taken."},
		models.Clause{ID: ClauseServerSignalAbort, Source: "sql-docs iservervirtualdeviceset2-signalabort.md", Text: "The overall interface enters an abort state."},
		models.Clause{ID: ClauseAbnormalTerminate, Source: srcAbnormalTerm, Text: "When either the client or server invokes the SignalAbort interface, the virtual device set enters the Abort state."},
	)
	inf.Ambiguities = Ambiguities
	inf.Stimuli = Stimuli
	for _, s := range States {
		for _, op := range Ops {
			inf.Cells = append(inf.Cells, CellName(s, op))
		}
	}
	return inf
}

// side is one reading; its clause is the clause id its source starts with
// (a table cell or a reference-page clause), when it does.
func side(name, src, text string) models.AmbiguitySide {
	s := models.AmbiguitySide{Name: name, Source: src, Text: text}
	if id, _, _ := strings.Cut(src, " ("); strings.HasPrefix(id, "vdi/") {
		s.Clauses = []string{id}
	}
	return s
}

// choice says which side each profile takes.
func choice(strict, documented string) map[string]string {
	return map[string]string{models.ProfileStrict: strict, models.ProfileDocumented: documented}
}

// notes says what each profile's choice means for the checks where it is
// not obvious ("" for none).
func notes(strict, documented string) map[string]string {
	n := map[string]string{}
	if strict != "" {
		n[models.ProfileStrict] = strict
	}
	if documented != "" {
		n[models.ProfileDocumented] = documented
	}
	return n
}

// Ambiguities lists every point where the seed table and the function
// reference pages (GetConfiguration, GetCommand, OpenDevice, Close, the
// Normal Termination page) disagree, with the side each
// profile takes.
var Ambiguities = []models.Ambiguity{
	{ID: "VDI-A1", Summary: "GetConfiguration before the server has configured the set",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Configurable, FnGetConfiguration), "NOERROR -> Initializing; no time-out outcome"),
			side("reference", ClauseGetConfigTimeout+" ("+srcGetConfig+")", "the call waits for the server and returns VD_E_TIMEOUT when dwTimeOut elapses"),
		},
		Choice: choice("table", "reference"), Notes: notes("the call is only judged once the server has configured the set", "")},
	{ID: "VDI-A2", Summary: "GetCommand in Active with no command pending",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Active, FnGetCommand), "NOERROR or VD_E_CLOSE -> NormallyTerminated"),
			side("reference", ClauseGetCommandTimeout+" ("+srcGetCommand+")", "VD_E_TIMEOUT: No command was available and the time-out expired"),
		},
		Choice: choice("table", "reference"), Notes: notes("not judged while nothing is pending", "")},
	{ID: "VDI-A3", Summary: "Server-initiated abort",
		Sides: []models.AmbiguitySide{
			side("table", "seed 002 SignalAbort row", "only the client's SignalAbort leads to Abort"),
			side("reference", ClauseAbnormalTerminate+" ("+srcAbnormalTerm+")", "either side's SignalAbort moves the set to Abort; GetCommand then returns VD_E_ABORT"),
		},
		Choice: choice("table", "reference"), Notes: notes("server aborts are not exercised", "")},
	{ID: "VDI-A4", Summary: "OpenDevice in Active for another device of a multi-device set",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Active, FnOpenDevice), "VD_E_PROTOCOL"),
			side("reference", ClauseOpenDeviceNext+" ("+srcOpenDevice+")", "NOERROR for each unopened device; a set of n devices returns n device interfaces"),
		},
		Choice: choice("table", "reference")},
	{ID: "VDI-A5", Summary: "OpenDevice when every device is already open",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Active, FnOpenDevice), "VD_E_PROTOCOL"),
			side("reference", ClauseOpenDeviceOpen+" ("+srcOpenDevice+")", "VD_E_OPEN (or VD_E_PROTOCOL: this particular device is already open)"),
		},
		Choice: choice("table", "reference")},
	{ID: "VDI-A6", Summary: "OpenDevice with a name that is not part of the set",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Initializing, FnOpenDevice), "NOERROR -> Active (names are not considered)"),
			side("reference", ClauseOpenDeviceInvalid+" ("+srcOpenDevice+")", "VD_E_INVALID"),
		},
		Choice: choice("table", "reference"), Notes: notes("unknown names are not exercised in Initializing; VD_E_PROTOCOL in Active", "")},
	{ID: "VDI-A7", Summary: "Close in Active while devices are still open",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Active, FnClose), "NOERROR -> DNE"),
			side("reference", ClauseCloseOpenDevices+" ("+srcClose+")", "VD_E_OPEN; SignalAbort is triggered internally and resources are released (-> DNE)"),
		},
		Choice: choice("table", "reference")},
	{ID: "VDI-A8", Summary: "CompleteCommand of a command that is not outstanding",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Active, FnCompleteCommand), "NOERROR"),
			side("reference", ClauseCompleteUnknown+" ("+srcComplete+")", "VD_E_INVALID: pCmd was not an active command"),
		},
		Choice: choice("table", "reference")},
	{ID: "VDI-A9", Summary: "When VD_E_CLOSE moves the set to Normally Terminated",
		Sides: []models.AmbiguitySide{
			side("table", CellID(Active, FnGetCommand), "VD_E_CLOSE -> NormallyTerminated, per call"),
			side("status text", ClauseGetCommandClose+" ("+srcNormalTerm+")", "only when the last device in the set returns VD_E_CLOSE"),
		},
		Choice: choice("status text", "status text"), Notes: notes("the seed's own status-code text; counted over the devices the client opened", "counted over the devices the client opened")},
	{ID: "VDI-A10", Summary: "Create versus CreateEx",
		Sides: []models.AmbiguitySide{
			side("table A", "seed 002 Table A", "row \"Create,CreateEx\": CreateEx follows the Create row"),
			side("table B", "seed 002 Table B", "row \"Create\" only: the table does not constrain CreateEx, which is not judged"),
		},
		Choice: choice("table A", "table A"), Notes: notes("both rows apply to Create and CreateEx", "both rows apply to Create and CreateEx")},
}
