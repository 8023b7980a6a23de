package ipam

import "github.com/specgate/specgate/models"

// The rendered actions name their arguments: Idx of a session operation
// is the session slot (0 or 1), Arg of ctl.FailNext the family whose next
// operation fails. ctl.Set*(true|false) render their value as before.
func init() {
	for _, op := range []string{OpInitSchema, OpStartSchema, OpInitProv, OpStartProv} {
		models.NameArgs(op, models.ArgNames{Idx: "session"})
	}
	models.NameArgs(OpCtlFailNext, models.ArgNames{Arg: "family", ArgValues: []string{Schema: "schema", Provision: "provisioning"}})
}
