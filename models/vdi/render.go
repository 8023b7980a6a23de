package vdi

import "github.com/specgate/specgate/models"

// The rendered actions name their arguments: Idx is a device index of
// the set (BogusDevice names a device not in it), Arg of Create and
// CreateEx the device count. CompleteCommand(device=1) completes the
// oldest command delivered on device 1; the command id on the wire is
// that command's (0 when none is outstanding).
func init() {
	for _, op := range []string{OpOpenDevice, OpGetCommand, OpCompleteCommand, OpServerSendCommand, OpServerCloseDevice} {
		models.NameArgs(op, models.ArgNames{Idx: "device"})
	}
	for _, op := range []string{OpCreate, OpCreateEx} {
		models.NameArgs(op, models.ArgNames{Arg: "devices"})
	}
}
