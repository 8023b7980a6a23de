package vdi

import "github.com/specgate/specgate/models"

// Reach declares what a run of profile p cannot cover (see models.Reach):
// the cells the profile never judges and the clauses it reads another
// clause in place of, each with the ambiguity that decides it.
func Reach(p Profile) models.Reach {
	r := models.Reach{Cells: map[string]string{}, Clauses: map[string]string{}}
	if p == Strict {
		for _, s := range States {
			r.Cells[CellName(s, OpServerSignalAbort)] = "the strict profile reads the seed table, where only the client's SignalAbort leads to Abort (VDI-A3): server aborts are not exercised"
		}
		table := "the strict profile reads the seed table instead ("
		r.Clauses[ClauseGetConfigTimeout] = table + "VDI-A1): GetConfiguration is judged only once the server has configured the set"
		r.Clauses[ClauseGetCommandTimeout] = table + "VDI-A2): GetCommand is not judged while nothing is pending"
		r.Clauses[ClauseOpenDeviceNext] = table + "VDI-A4): a second OpenDevice in Active is VD_E_PROTOCOL"
		r.Clauses[ClauseOpenDeviceOpen] = table + "VDI-A5): OpenDevice in Active is VD_E_PROTOCOL"
		r.Clauses[ClauseOpenDeviceAgain] = table + "VDI-A5): OpenDevice in Active is VD_E_PROTOCOL"
		r.Clauses[ClauseOpenDeviceInvalid] = table + "VDI-A6): unknown device names are not exercised"
		r.Clauses[ClauseCloseOpenDevices] = table + "VDI-A7): Close in Active is NOERROR -> DNE"
		r.Clauses[ClauseCompleteUnknown] = table + "VDI-A8): CompleteCommand in Active is NOERROR"
		r.Clauses[ClauseServerSignalAbort] = table + "VDI-A3): server aborts are not exercised"
		r.Clauses[ClauseAbnormalTerminate] = table + "VDI-A3): server aborts are not exercised"
		r.Clauses[ClauseGetCommandAfterEnd] = "the strict profile opens one device per set (VDI-A4), so its VD_E_CLOSE ends the set (Normally Terminated) and no device of an Active set has seen its close"
		return r
	}
	r.Clauses[ClauseOpenDeviceOpen] = "the SUT's choice: wherever VD_E_OPEN is allowed, VD_E_PROTOCOL (this device is already open) or VD_E_INVALID is allowed too (VDI-A5), " +
		"and the clause is exercised only by a SUT that answers VD_E_OPEN; the reference answers the other"
	ref := "the documented profile reads the function reference page instead ("
	r.Clauses[CellID(Active, FnOpenDevice)] = ref + "VDI-A4, VDI-A5): OpenDevice in Active is judged under " + ClauseOpenDeviceNext + ", " + ClauseOpenDeviceOpen + " and " + ClauseOpenDeviceAgain
	r.Clauses[CellID(Active, FnClose)] = ref + "VDI-A7): a set is Active only while a device is still open, so Close in Active is judged under " + ClauseCloseOpenDevices
	return r
}
