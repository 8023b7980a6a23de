package vdi

import "github.com/specgate/specgate/models"

// Reach declares what a run of profile p cannot cover (see models.Reach):
// the cells the profile never judges and the clauses it reads another
// clause in place of, each with the ambiguity choice that decides it.
func Reach(p Profile) models.Reach {
	r := models.Reach{Cells: map[string]string{}, Clauses: map[string]string{}}
	table := "the profile reads the seed table instead ("
	for c, why := range stimulusCells() {
		r.Cells[c] = why
	}
	if !p.ref(a3ServerAbort) {
		for _, s := range States {
			r.Cells[CellName(s, OpServerSignalAbort)] = "the profile reads the seed table, where only the client's SignalAbort leads to Abort (VDI-A3): server aborts are not exercised"
		}
		r.Clauses[ClauseServerSignalAbort] = table + "VDI-A3): server aborts are not exercised"
		r.Clauses[ClauseAbnormalTerminate] = table + "VDI-A3): server aborts are not exercised"
	}
	if !p.ref(a1GetConfigWait) {
		r.Clauses[ClauseGetConfigTimeout] = table + "VDI-A1): GetConfiguration is judged only once the server has configured the set"
	}
	if !p.ref(a2GetCommandPoll) {
		r.Clauses[ClauseGetCommandTimeout] = table + "VDI-A2): GetCommand is not judged while nothing is pending"
	}
	if !p.ref(a4OpenNext) {
		r.Clauses[ClauseOpenDeviceNext] = table + "VDI-A4): a second OpenDevice in Active is VD_E_PROTOCOL"
	}
	if !p.ref(a5OpenAllOpen) {
		r.Clauses[ClauseOpenDeviceOpen] = table + "VDI-A5): OpenDevice in Active is VD_E_PROTOCOL"
		r.Clauses[ClauseOpenDeviceAgain] = table + "VDI-A5): OpenDevice in Active is VD_E_PROTOCOL"
	} else {
		r.Clauses[ClauseOpenDeviceOpen] = "the SUT's choice: wherever VD_E_OPEN is allowed, VD_E_PROTOCOL (this device is already open) or VD_E_INVALID is allowed too (VDI-A5), " +
			"and the clause is exercised only by a SUT that answers VD_E_OPEN; the reference answers the other"
	}
	if !p.ref(a6OpenUnknown) {
		r.Clauses[ClauseOpenDeviceInvalid] = table + "VDI-A6): unknown device names are not exercised"
	}
	if !p.ref(a7CloseOpen) {
		r.Clauses[ClauseCloseOpenDevices] = table + "VDI-A7): Close in Active is NOERROR -> DNE"
	} else {
		r.Clauses[CellID(Active, FnClose)] = "the profile reads the function reference page instead (VDI-A7): a set is Active only while a device is still open, so Close in Active is judged under " + ClauseCloseOpenDevices
	}
	if !p.ref(a8CompleteUnknown) {
		r.Clauses[ClauseCompleteUnknown] = table + "VDI-A8): CompleteCommand in Active is NOERROR"
	}
	if p.ref(a4OpenNext) && p.ref(a5OpenAllOpen) && p.ref(a6OpenUnknown) {
		r.Clauses[CellID(Active, FnOpenDevice)] = "the profile reads the function reference page instead (VDI-A4, VDI-A5, VDI-A6): OpenDevice in Active is judged under " +
			ClauseOpenDeviceNext + ", " + ClauseOpenDeviceOpen + " and " + ClauseOpenDeviceAgain
	}
	if !p.ref(a4OpenNext) || !p.ref(a9LastClose) {
		r.Clauses[ClauseGetCommandAfterEnd] = "the profile opens one device per set (VDI-A4) or ends the set at any VD_E_CLOSE (VDI-A9), so a VD_E_CLOSE ends the set (Normally Terminated) and no device of an Active set has seen its close"
	}
	if !p.ref(a9LastClose) {
		r.Clauses[ClauseGetCommandClose] = table + "VDI-A9): every VD_E_CLOSE ends the set, not only the last device's"
	}
	if p.ref(a10CreateEx) {
		for _, s := range States {
			r.Cells[CellName(s, OpCreateEx)] = "the profile reads seed Table B (VDI-A10), whose row names Create only: CreateEx is not judged"
		}
	}
	return r
}
