package vdi

import "github.com/specgate/specgate/models"

// Stimuli are the server-side calls (SQL Server's part, which a shim with
// capabilities.server implements): they drive the client under test and
// are never judged as its conformance. The generator issues each one only
// where a real server could (issuable); there it must answer as listed, or
// the sequence is inconclusive (environment).
var Stimuli = []models.Stimulus{
	{Op: OpServerOpen, Source: "sql-docs iservervirtualdeviceset2-open.md, -beginconfiguration.md, -endconfiguration.md",
		When:   "the client has created the set (Configurable) and the server has not opened it yet",
		Answer: "NOERROR",
		Does:   "the server opens and configures the set: the client's next GetConfiguration returns NOERROR (Configurable -> Initializing)"},
	{Op: OpServerSendCommand, Source: "sql-docs iservervirtualdevice-sendcommand.md",
		When:   "the server has opened the set and the client has opened the device (fewer than 4 commands pending on it); or the set is in Abort",
		Answer: "NOERROR while Active and the server has not closed the device; VD_E_PROTOCOL once the server closed it or the set terminated normally; VD_E_ABORT in Abort",
		Does:   "queues the command (VDC_Write, the size the runner sends) for the client's GetCommand, in order"},
	{Op: OpServerCloseDevice, Source: "sql-docs iservervirtualdevice-closedevice.md",
		When:   "the server has opened the set and the client has opened the device; or the set is in Abort",
		Answer: "NOERROR; VD_E_CLOSE when the server already closed that device; VD_E_ABORT or NOERROR in Abort (no action is taken)",
		Does:   "the client's GetCommand on that device returns VD_E_CLOSE once its queued commands are fetched"},
	{Op: OpServerSignalAbort, Source: "sql-docs iservervirtualdeviceset2-signalabort.md",
		When:   "the server has opened the set (any later state), in a profile that takes VDI-A3's reference side",
		Answer: "NOERROR",
		Does:   "the set enters Abort: every later client call returns VD_E_ABORT until Close"},
}

// stimulusCells are the cells no stimulus is issued in (see issuable),
// with why.
func stimulusCells() map[string]string {
	out := map[string]string{}
	why := "a stimulus, issued only where a real server could call it: "
	for _, s := range States {
		if s != Configurable {
			out[CellName(s, OpServerOpen)] = why + Stimuli[0].When
		}
	}
	for _, s := range []State{DNE, Configurable, Initializing} {
		out[CellName(s, OpServerSendCommand)] = why + Stimuli[1].When
		out[CellName(s, OpServerCloseDevice)] = why + Stimuli[2].When
	}
	out[CellName(DNE, OpServerSignalAbort)] = why + Stimuli[3].When
	return out
}

// issuable reports whether a real server could make the server-side call
// op on device d now (Stimuli's When): never before it opened the set,
// never on a device outside the set, never on a device the client has not
// opened.
func (m *Model) issuable(op string, d int) bool {
	s := m.State
	switch op {
	case OpServerOpen:
		return s == Configurable && !m.ServerOpen
	case OpServerSignalAbort:
		return m.ServerOpen
	}
	if !m.ServerOpen || !m.known(d) {
		return false
	}
	return s == Abort || m.Dev[d].Opened
}
