package vdi

import (
	"testing"

	"github.com/specgate/specgate/models"
)

// TestActionsNameTheirArguments: a rendered VDI action says what its
// numbers are, so CompleteCommand(device=1) cannot be read as command 1.
func TestActionsNameTheirArguments(t *testing.T) {
	for a, want := range map[models.Action]string{
		{Op: OpCompleteCommand, Idx: 1}:   "CompleteCommand(device=1)",
		{Op: OpGetCommand, Idx: 0}:        "GetCommand(device=0)",
		{Op: OpOpenDevice, Idx: 2}:        "OpenDevice(device=2)",
		{Op: OpServerSendCommand, Idx: 0}: "server.SendCommand(device=0)",
		{Op: OpServerCloseDevice, Idx: 1}: "server.CloseDevice(device=1)",
		{Op: OpCreateEx, Idx: -1, Arg: 2}: "CreateEx(devices=2)",
		{Op: OpCreate, Idx: -1, Arg: 1}:   "Create(devices=1)",
		{Op: OpServerOpen, Idx: -1}:       "server.Open()",
		{Op: OpClose, Idx: -1}:            "Close()",
	} {
		if got := a.String(); got != want {
			t.Errorf("%+v: %q, want %q", a, got, want)
		}
	}
	for _, a := range Alphabet {
		if s := a.String(); s == a.Op+"(0)" || s == a.Op+"(1)" {
			t.Errorf("%+v renders an unnamed number: %s", a, s)
		}
	}
}
