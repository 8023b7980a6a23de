package ipam

import "github.com/specgate/specgate/models"

const controlSource = "docs/ipam-soap-binding.md §8 (the optional control endpoint)"

// Stimuli are the control endpoint's calls: they put the server's ADM
// variables into the states the model needs and are never judged as the
// server's conformance. Each must answer 204; otherwise the sequence is
// inconclusive (environment).
var Stimuli = []models.Stimulus{
	{Op: "reset", Source: controlSource, When: "before every sequence, with a control endpoint",
		Answer: "204 to POST /reset, then 204 to POST /adm",
		Does:   "the server forgets every session; IPAM configured, schema conversion required, no pending failure, no hold (ResetWorld)"},
	{Op: OpCtlRequired, Source: controlSource, When: "any time, with a control endpoint", Answer: "204",
		Does: "sets ADM_IsSchemaConversionRequired for operations that start after the response"},
	{Op: OpCtlConfigured, Source: controlSource, When: "any time, with a control endpoint", Answer: "204",
		Does: "sets ADM_IsIPAMConfigured for operations that start after the response"},
	{Op: OpCtlFailNext, Source: controlSource, When: "no failure of that family is pending", Answer: "204",
		Does: "the next conversion (provisioning) that reaches its actual work fails: Complete carries an exception and step 6 applies; one-shot"},
	{Op: OpCtlHold, Source: controlSource, When: "no hold is set", Answer: "204",
		Does: "every later session that passes its checks sends Start and its checkpoints, then stays in progress without completing"},
	{Op: OpCtlRelease, Source: controlSource, When: "a hold is set", Answer: "204",
		Does: "every held session completes as it would have; the runner waits for each one's Complete"},
}
