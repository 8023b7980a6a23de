package ipam

import "github.com/specgate/specgate/models"

// Clause ids. Each cites MS-IPAMM2 v12.0 (4/23/2024) section numbers.
const (
	ClGate3          = "ipam/3.1.4.2/step3"  // not configured: only provisioning and IsIpamConfigured
	ClGate4          = "ipam/3.1.4.2/step4"  // conversion required: only conversion and the Is* queries
	ClInitSchema     = "ipam/3.15.4.3"       // InitializeAsyncSchemaConversion response
	ClInitProv       = "ipam/3.11.4.3"       // InitializeAsyncProvisioning response
	ClSchemaStart    = "ipam/3.15.4.7/start" // MUST invoke the start notification; state Conversion Started
	ClSchemaStep1    = "ipam/3.15.4.7/step1" // already in progress: fault
	ClSchemaStep3    = "ipam/3.15.4.7/step3" // not required: fault
	ClSchemaStep4    = "ipam/3.15.4.7/step4" // checkpoints while in progress
	ClSchemaStep5    = "ipam/3.15.4.7/step5" // success: Complete(nil); Required, InProgress := FALSE
	ClSchemaStep6    = "ipam/3.15.4.7/step6" // failure: Complete(fault); InProgress := FALSE
	ClSchemaFault    = "ipam/3.15.4.7/fault-delivery"
	ClProvStart      = "ipam/3.11.4.7/start"
	ClProvStep1      = "ipam/3.11.4.7/step1"
	ClProvSuccess    = "ipam/3.11.4.7/step5"
	ClProvFault      = "ipam/3.11.4.7/step6"
	ClProvDelivery   = "ipam/3.11.4.7/fault-delivery"
	ClSchemaCBInit   = "ipam/3.17.1.1/CallbackInitialized"
	ClSchemaCBProg   = "ipam/3.17.1.1/InProgress"
	ClSchemaCBDone   = "ipam/3.17.1.1/Completed"
	ClSchemaAction   = "ipam/3.17.4/action"
	ClProvCBInit     = "ipam/3.13.1.1/CallbackInitialized"
	ClProvCBProg     = "ipam/3.13.1.1/InProgress"
	ClProvCBDone     = "ipam/3.13.1.1/Completed"
	ClProvAction     = "ipam/3.13.4/action"
	ClQueryRequired  = "ipam/3.3.4.117"
	ClQueryProgress  = "ipam/3.3.4.116"
	ClQueryConfig    = "ipam/3.3.4.114"
	ClQuiescence     = "ipam/quiescence"
	ClHold           = "ipam/control/hold"
	ClControlADM     = "ipam/control/adm" // a control request answers 204
	ClUnknownSession = "ipam/callback/unknown-session"
	ClMalformed      = "ipam/callback/malformed"
)

var clauseList = []models.Clause{
	{ID: ClGate3, Source: "MS-IPAMM2 3.1.4.2 step 3", Text: "If ADM_IsIPAMConfigured is FALSE, the operation is executed only for port type IIpamAsyncProvision or IIpamServer.IsIpamConfigured; otherwise an appropriate SOAP fault is sent."},
	{ID: ClGate4, Source: "MS-IPAMM2 3.1.4.2 step 4", Text: "If ADM_IsIPAMConfigured and ADM_IsSchemaConversionRequired are TRUE, only IIpamAsyncSchemaConversion, IsSchemaConversionInProgress, IsSchemaConversionRequired and IsIpamConfigured are executed."},
	{ID: ClInitSchema, Source: "MS-IPAMM2 3.15.4.3; 3.15.1.1", Text: "InitializeAsyncSchemaConversion sets the session state to Conversion Initialized and returns InitializeAsyncSchemaConversionResponse."},
	{ID: ClInitProv, Source: "MS-IPAMM2 3.11.4.3; 3.11.1.1", Text: "InitializeAsyncProvisioning sets the session state to Provisioning Initialized and returns InitializeAsyncProvisioningResponse."},
	{ID: ClSchemaStart, Source: "MS-IPAMM2 3.15.4.7 (seed 001); 3.15.1.1", Text: "Upon receiving StartAsyncSchemaConversion the server MUST invoke the start notification; the session state is set to Conversion Started."},
	{ID: ClSchemaStep1, Source: "MS-IPAMM2 3.15.4.7 step 1 (seed 001)", Text: "If ADM_IsSchemaConversionInProgress is TRUE ... an appropriate SOAP fault MUST be returned to the client."},
	{ID: ClSchemaStep3, Source: "MS-IPAMM2 3.15.4.7 steps 2-3 (seed 001)", Text: "Set ADM_IsSchemaConversionInProgress to TRUE. If ADM_IsSchemaConversionRequired is FALSE ... an appropriate SOAP fault MUST be returned."},
	{ID: ClSchemaStep4, Source: "MS-IPAMM2 3.15.4.7 step 4 (seed 001)", Text: "Provide adequate checkpoint status by invoking NotifyAsyncSchemaConversionCheckpoint; session state Conversion In Progress."},
	{ID: ClSchemaStep5, Source: "MS-IPAMM2 3.15.4.7 step 5 (seed 001)", Text: "On success: NotifyAsyncSchemaConversionComplete with exception null; ADM_IsSchemaConversionRequired := FALSE; ADM_IsSchemaConversionInProgress := FALSE."},
	{ID: ClSchemaStep6, Source: "MS-IPAMM2 3.15.4.7 step 6 (seed 001)", Text: "On failure: NotifyAsyncSchemaConversionComplete with exception set to the fault; ADM_IsSchemaConversionInProgress := FALSE."},
	{ID: ClSchemaFault, Source: "MS-IPAMM2 3.15.4.7 preamble (seed 001); WSDL one-way operation", Text: "If a fault needs to be returned back to the client, NotifyAsyncSchemaConversionComplete MUST be called with the fault in exception."},
	{ID: ClProvStart, Source: "MS-IPAMM2 3.11.4.7; 3.11.1.1", Text: "Upon receiving StartAsyncProvisioning the server MUST invoke NotifyAsyncProvisionStart."},
	{ID: ClProvStep1, Source: "MS-IPAMM2 3.11.4.7 step 1", Text: "If ADM_IsIPAMProvisioningInProgress is TRUE, return an appropriate SOAP fault."},
	{ID: ClProvSuccess, Source: "MS-IPAMM2 3.11.4.7 steps 2-5, 7, 9", Text: "If ADM_IsIPAMConfigured is FALSE set up the data store; on success set ADM_IsIPAMConfigured to TRUE; session state Provisioning Completed."},
	{ID: ClProvFault, Source: "MS-IPAMM2 3.11.4.7 step 6", Text: "If any fault were encountered, set NotifyAsyncProvisionComplete.exception to the fault information."},
	{ID: ClProvDelivery, Source: "MS-IPAMM2 3.11.4.7 preamble", Text: "If a fault is generated, NotifyAsyncProvisionComplete MUST be called specifying exception."},
	{ID: ClSchemaCBInit, Source: "MS-IPAMM2 3.17.1.1 (seed 000)", Text: "Conversion Callback Initialized: NotifyAsyncSchemaConversionStart moves to Conversion In Progress."},
	{ID: ClSchemaCBProg, Source: "MS-IPAMM2 3.17.1.1 (seed 000)", Text: "Conversion In Progress: Checkpoint stays; Complete moves to Conversion Completed."},
	{ID: ClSchemaCBDone, Source: "MS-IPAMM2 3.17.1.1 (seed 000)", Text: "Conversion Completed: the interaction is complete; no further callback."},
	{ID: ClSchemaAction, Source: "MS-IPAMM2 3.17.4.2-3.17.4.4 (.1.1 messages); 3.15.4.4-3.15.4.6", Text: "Each callback MUST be sent with its SOAP action and the body MUST contain its element."},
	{ID: ClProvCBInit, Source: "MS-IPAMM2 3.13.1.1 (seed 003)", Text: "Provisioning Callback Initialized: NotifyAsyncProvisionStart moves to Provisioning In Progress."},
	{ID: ClProvCBProg, Source: "MS-IPAMM2 3.13.1.1 (seed 003)", Text: "Provisioning In Progress: Checkpoint stays; Complete moves to Provisioning Completed."},
	{ID: ClProvCBDone, Source: "MS-IPAMM2 3.13.1.1 (seed 003)", Text: "Provisioning Completed: the interaction is complete; no further callback."},
	{ID: ClProvAction, Source: "MS-IPAMM2 3.13.4.2-3.13.4.4; 3.11.4.4-3.11.4.6", Text: "Each callback MUST be sent with its SOAP action and the body MUST contain its element."},
	{ID: ClQueryRequired, Source: "MS-IPAMM2 3.3.4.117", Text: "IsSchemaConversionRequiredResult := ADM_IsSchemaConversionRequired."},
	{ID: ClQueryProgress, Source: "MS-IPAMM2 3.3.4.116", Text: "IsSchemaConversionInProgressResult := ADM_IsSchemaConversionInProgress."},
	{ID: ClQueryConfig, Source: "MS-IPAMM2 3.3.4.114", Text: "IsIpamConfiguredResult := ADM_IsIPAMConfigured."},
	{ID: ClQuiescence, Source: "MS-IPAMM2 3.15.4.7 steps 5-6, 3.11.4.7 (Complete MUST be called)", Text: "A started session ends with exactly one Complete callback; silence past the deadline is a divergence."},
	{ID: ClHold, Source: "docs/ipam-soap-binding.md, control endpoint", Text: "While hold is set, an accepted session stays In Progress until release."},
	{ID: ClControlADM, Source: "docs/ipam-soap-binding.md §8, POST <control-url>/adm", Text: "A control request answers 204 No Content; the change applies to operations that start after the response."},
	{ID: ClUnknownSession, Source: "MS-IPAMM2 3.12.3, 3.16.3 (callbacks flow on the session that started them)", Text: "A callback must address a session the client initialized."},
	{ID: ClMalformed, Source: "MS-IPAMM2 2.2.2, 3.13.4, 3.17.4", Text: "A callback is a SOAP 1.2 envelope with a known Action and the matching body element."},
}

// side is one reading, with the clauses a divergence on it is filed under.
func side(name, src, text string, clauses ...string) models.AmbiguitySide {
	return models.AmbiguitySide{Name: name, Source: src, Text: text, Clauses: clauses}
}

// Ambiguities lists the points where MS-IPAMM2 contradicts itself (its
// errata, IPAM-E*), with the clauses on both sides; the profiles resolve them.
var Ambiguities = []models.Ambiguity{
	{ID: "IPAM-E1", Summary: "Start notification of a schema conversion",
		Sides: []models.AmbiguitySide{
			side("3.15.4.7", "MS-IPAMM2 3.15.4.7 (seed 001)", "the server MUST invoke the NotifyAsyncProvisionStart operation", ClSchemaStart, ClSchemaAction),
			side("3.15.1.1", "MS-IPAMM2 3.15.1.1 table, Figures 9 and 10; 3.17.1.1 (seed 000)", "the server invokes NotifyAsyncSchemaConversionStart", ClSchemaStart, ClSchemaAction),
		},
		Choice: map[string]string{"strict": models.SideEither, "documented": "3.15.1.1"}, Either: true,
		Notes: map[string]string{"strict": "both seeds literally: either notification starts a conversion session", "documented": "NotifyAsyncSchemaConversionStart only"}},
	{ID: "IPAM-E3", Summary: "How a rejected one-way Start reports its fault",
		Sides: []models.AmbiguitySide{
			side("steps", "MS-IPAMM2 3.15.4.7 steps 1 and 3, 3.11.4.7 step 1", "an appropriate SOAP fault MUST be returned to the client", ClSchemaStep1, ClSchemaStep3, ClProvStep1),
			side("preamble", "MS-IPAMM2 3.15.4.7 and 3.11.4.7 preambles; WSDL (input-only operation)", "the fault MUST be delivered in Notify*Complete.exception", ClSchemaFault, ClProvDelivery),
		},
		Choice: map[string]string{"strict": models.SideEither, "documented": "preamble"}, Either: true,
		Notes: map[string]string{"strict": "a SOAP fault answering the Start request, or Complete.exception", "documented": "Complete.exception only"}},
	{ID: "IPAM-E5", Summary: "ADM_IsSchemaConversionInProgress after a \"not required\" rejection",
		Sides: []models.AmbiguitySide{
			side("literal", "MS-IPAMM2 3.15.4.7 steps 2-3", "step 2 sets it TRUE; step 3 faults and nothing resets it", ClSchemaStep3, ClSchemaStep1, ClQueryProgress),
			side("failure branch", "MS-IPAMM2 3.15.4.7 step 6.3", "a failed conversion sets it FALSE", ClSchemaStep3, ClSchemaStep1, ClQueryProgress),
		},
		Choice: map[string]string{"strict": "literal", "documented": "failure branch"},
		Notes:  map[string]string{"strict": "it stays TRUE", "documented": "it is FALSE again"}},
	{ID: "IPAM-E6", Summary: "Start notification before the checks",
		Sides: []models.AmbiguitySide{
			side("preamble", "MS-IPAMM2 3.15.4.7 (seed 001)", "Upon receiving Start the server MUST invoke the start notification, then runs steps 1-6: rejected sessions get Start first", ClSchemaStart, ClProvStart),
			side("figures", "MS-IPAMM2 Figures 8 and 11", "a session may go from Callback Initialized to Completed", ClSchemaStart, ClProvStart),
		},
		Choice: map[string]string{"strict": "preamble", "documented": "figures"},
		Notes:  map[string]string{"strict": "every started session gets the start notification first", "documented": "a rejection may skip the start notification"}},
	{ID: "IPAM-E13", Summary: "Complete without Start",
		Sides: []models.AmbiguitySide{
			side("state tables", "MS-IPAMM2 3.13.1.1 (seed 003), 3.17.1.1 (seed 000)", "only Start leaves Callback Initialized", ClSchemaCBInit, ClProvCBInit, ClSchemaStart, ClProvStart),
			side("figures", "MS-IPAMM2 Figures 8 and 11", "Callback Initialized -> Completed on NotifyAsync*Complete", ClSchemaCBInit, ClProvCBInit),
		},
		Choice: map[string]string{"strict": "state tables", "documented": "figures"},
		Notes:  map[string]string{"strict": "Complete requires a preceding Start", "documented": "Complete may arrive without Start"}},
	{ID: "IPAM-E16", Summary: "Action prefix of callbacks",
		Sides: []models.AmbiguitySide{
			side("callback port type", "MS-IPAMM2 3.13.4.x.1.1, 3.17.4.x.1.1", "MUST be sent with http://Microsoft.Windows.Ipam/IIpamAsyncSchemaCallback/… (IIpamAsyncProvisionCallback/…)", ClSchemaAction, ClProvAction),
			side("server port type", "MS-IPAMM2 3.15.4.4-3.15.4.6, 3.11.4.4-3.11.4.6, Appendix A bindings, 4.3 wire example", "http://Microsoft.Windows.Ipam/IIpamAsyncSchemaConversion/… (IIpamAsyncProvision/…)", ClSchemaAction, ClProvAction),
		},
		Choice: map[string]string{"strict": "callback port type", "documented": models.SideEither}, Either: true,
		Notes: map[string]string{"strict": "callback port type only", "documented": "either prefix, recorded"}},
	{ID: "IPAM-E4", Summary: "ADM_IsIPAMProvisioningInProgress is never set TRUE",
		Sides: []models.AmbiguitySide{
			side("literal", "MS-IPAMM2 3.11.4.7", "step 1 tests it and step 9 resets it; no step sets it TRUE", ClProvStep1, ClProvStart),
			side("intent", "MS-IPAMM2 3.1.1.3", "only one session may provision at a time", ClProvStep1, ClProvStart),
		},
		Choice: map[string]string{"strict": "literal", "documented": "intent"},
		Notes:  map[string]string{"strict": "it stays FALSE, concurrent provisioning is not rejected", "documented": "TRUE while provisioning runs"}},
	{ID: "IPAM-G1", Summary: "How a pre-operation gate rejection (3.1.4.2) of a one-way Start reports its fault",
		Sides: []models.AmbiguitySide{
			side("3.1.4.2", "MS-IPAMM2 3.1.4.2 steps 3 and 4", "an appropriate SOAP fault ... is sent as the response message", ClGate3, ClGate4),
			side("preamble", "MS-IPAMM2 3.15.4.7 and 3.11.4.7 preambles; WSDL (input-only operation)", "the fault MUST be delivered in Notify*Complete.exception", ClSchemaFault, ClProvDelivery),
		},
		Choice: map[string]string{"strict": models.SideEither, "documented": "preamble"}, Either: true,
		Notes: map[string]string{"strict": "a SOAP fault answering the Start request, or Complete.exception", "documented": "Complete.exception only"}},
}

// Info describes the IPAM model.
func Info() models.Info {
	inf := models.Info{
		Name:        "ipam",
		Title:       "MS-IPAMM2 async schema conversion (3.15, 3.17) and provisioning (3.11, 3.13) over SOAP",
		Profiles:    []string{models.ProfileStrict, models.ProfileDocumented},
		Clauses:     clauseList,
		Ambiguities: Ambiguities,
	}
	inf.Cells = Cells()
	inf.Stimuli = Stimuli
	return inf
}

// Labels are the state labels of coverage cells.
var Labels = []string{"Unconfigured", "Configured", "ConversionRequired", "Unknown"}

// CellOps are the operations of coverage cells.
var CellOps = []string{OpInitSchema, OpStartSchema, OpInitProv, OpStartProv, OpIsRequired, OpIsInProgress,
	OpIsConfigured, OpCtlRequired, OpCtlConfigured, OpCtlFailNext, OpCtlHold, OpCtlRelease}

// Cells lists the coverage cells: ADM label x operation.
func Cells() []string {
	var out []string
	for _, l := range Labels {
		for _, op := range CellOps {
			out = append(out, l+"/"+op)
		}
	}
	return out
}
