package vdi

// SeedTable reproduces the Client Transitions table of the seed document
// (SQL Server VDI specification page vdi2005_7tyr.htm, "Client
// Transitions") cell by cell, with the arrow glyphs normalised to "->".
// Rows are functions, columns are states, both in table order. The model's
// strict profile is tested against this data cell by cell.
var SeedTable = [numFns][numStates]string{
	//               DNE                        Configurable                Initializing               Active                                              NormallyTerminated          Abort
	FnCreate:           {"NOERROR -> Configurable", "VD_E_PROTOCOL", "VD_E_PROTOCOL", "VD_E_PROTOCOL", "VD_E_PROTOCOL", "VD_E_PROTOCOL"},
	FnGetConfiguration: {"VD_E_PROTOCOL", "NOERROR -> Initializing", "NOERROR", "NOERROR", "NOERROR", "VD_E_ABORT"},
	FnOpenDevice:       {"VD_E_PROTOCOL", "VD_E_PROTOCOL", "NOERROR -> Active", "VD_E_PROTOCOL", "VD_E_PROTOCOL", "VD_E_ABORT"},
	FnGetCommand:       {"VD_E_PROTOCOL", "VD_E_PROTOCOL", "VD_E_PROTOCOL", "NOERROR or VD_E_CLOSE -> NormallyTerminated", "VD_E_PROTOCOL", "VD_E_ABORT"},
	FnCompleteCommand:  {"VD_E_PROTOCOL", "VD_E_PROTOCOL", "VD_E_PROTOCOL", "NOERROR", "VD_E_PROTOCOL", "VD_E_ABORT"},
	FnSignalAbort:      {"VD_E_PROTOCOL", "NOERROR -> Abort", "NOERROR -> Abort", "NOERROR -> Abort", "NOERROR -> Abort", "NOERROR"},
	FnClose:            {"VD_E_PROTOCOL", "NOERROR -> DNE", "NOERROR -> DNE", "NOERROR -> DNE", "NOERROR -> DNE", "NOERROR -> DNE"},
}

// SeedSource is the citation every table cell carries.
const SeedSource = "SQL Server VDI specification, Client Transitions (vdi2005_7tyr.htm; seed 002)"
