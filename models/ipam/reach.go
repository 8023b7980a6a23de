package ipam

import "github.com/specgate/specgate/models"

// Reasons a cell or clause is out of reach, as reports print them.
const (
	whyKnownADM = "with a control endpoint every session starts from a reset server " +
		"(ResetWorld), so the ADM is always known exactly and no step runs in the Unknown label " +
		"(the label of a set of worlds that disagree, 3.1.3)"
	whyNoControl = "without a control endpoint the ctl.* calls are not in the alphabet"
)

// Reach declares what a run of profile p, with or without a control
// endpoint, cannot cover (see models.Reach).
func Reach(p Profile, control bool) models.Reach {
	r := models.Reach{Cells: map[string]string{}, Clauses: map[string]string{}}
	if control {
		for _, op := range CellOps {
			r.Cells["Unknown/"+op] = whyKnownADM
		}
	} else {
		for _, l := range Labels {
			for _, op := range []string{OpCtlRequired, OpCtlConfigured, OpCtlFailNext, OpCtlHold, OpCtlRelease} {
				r.Cells[l+"/"+op] = whyNoControl
			}
		}
		r.Clauses[ClHold] = whyNoControl + " (the hold is set through it)"
		r.Clauses[ClControlADM] = whyNoControl
	}
	if p.side(aE4) == 0 {
		r.Clauses[ClProvStep1] = "the strict profile reads 3.11.4.7 literally (IPAM-E4): no step sets " +
			"ADM_IsIPAMProvisioningInProgress TRUE, so step 1 never rejects a provisioning"
	}
	return r
}
