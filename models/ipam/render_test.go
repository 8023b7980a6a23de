package ipam

import (
	"testing"

	"github.com/specgate/specgate/models"
)

// TestActionsNameTheirArguments: session operations name the slot, and
// ctl.FailNext names the family (schema is Arg 0, which used to render as
// nothing at all).
func TestActionsNameTheirArguments(t *testing.T) {
	for a, want := range map[models.Action]string{
		{Op: OpStartSchema, Idx: 1}:                       "StartAsyncSchemaConversion(session=1)",
		{Op: OpInitProv, Idx: 0}:                          "InitializeAsyncProvisioning(session=0)",
		{Op: OpCtlFailNext, Idx: -1, Arg: int(Schema)}:    "ctl.FailNext(family=schema)",
		{Op: OpCtlFailNext, Idx: -1, Arg: int(Provision)}: "ctl.FailNext(family=provisioning)",
		{Op: OpCtlRequired, Idx: -1, Arg: 1}:              "ctl.SetSchemaConversionRequired(true)",
		{Op: OpIsConfigured, Idx: -1}:                     "IsIpamConfigured()",
		{Op: OpCtlHold, Idx: -1}:                          "ctl.Hold()",
	} {
		if got := a.String(); got != want {
			t.Errorf("%+v: %q, want %q", a, got, want)
		}
	}
	seen := map[string]bool{}
	for _, a := range Alphabet(true) {
		if seen[a.String()] {
			t.Errorf("two actions render as %s", a)
		}
		seen[a.String()] = true
	}
}
