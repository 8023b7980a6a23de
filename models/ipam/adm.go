package ipam

import "strings"

// World is one concrete valuation of the ADM variables the harness can
// observe (MS-IPAMM2 3.1.1.3). Without a vendor control endpoint the harness
// does not know them; the model then tracks the set of worlds consistent
// with everything observed so far, and every observation narrows it.
type World uint8

// ADM variable bits of a World.
const (
	Configured     World = 1 << iota // ADM_IsIPAMConfigured
	Required                         // ADM_IsSchemaConversionRequired
	ConvInProgress                   // ADM_IsSchemaConversionInProgress
	ProvInProgress                   // ADM_IsIPAMProvisioningInProgress
	numWorlds      = 16
)

// Has reports whether bit b is set.
func (w World) Has(b World) bool { return w&b != 0 }

func (w World) with(b World, v bool) World {
	if v {
		return w | b
	}
	return w &^ b
}

// String renders a world as "C=1 R=0 P=0 Q=0".
func (w World) String() string {
	b := func(x World) string {
		if w.Has(x) {
			return "1"
		}
		return "0"
	}
	return "Configured=" + b(Configured) + " Required=" + b(Required) + " ConversionInProgress=" + b(ConvInProgress) + " ProvisioningInProgress=" + b(ProvInProgress)
}

// Worlds is a set of worlds (bit i = World(i)).
type Worlds uint16

func one(w World) Worlds { return 1 << w }

// Has reports whether w is in the set.
func (s Worlds) Has(w World) bool { return s&(1<<w) != 0 }

// Each calls f for every world in the set, in ascending order.
func (s Worlds) Each(f func(World)) {
	for w := World(0); w < numWorlds; w++ {
		if s.Has(w) {
			f(w)
		}
	}
}

// Label summarises the set for coverage cells: Unconfigured, Configured,
// ConversionRequired, or Unknown when the worlds disagree.
func (s Worlds) Label() string {
	label := ""
	s.Each(func(w World) {
		l := "Configured"
		switch {
		case !w.Has(Configured):
			l = "Unconfigured"
		case w.Has(Required):
			l = "ConversionRequired"
		}
		if label == "" {
			label = l
		} else if label != l {
			label = "Unknown"
		}
	})
	if label == "" {
		return "Unknown"
	}
	return label
}

// String lists the worlds.
func (s Worlds) String() string {
	var parts []string
	s.Each(func(w World) { parts = append(parts, "{"+w.String()+"}") })
	return strings.Join(parts, " or ")
}

// initialWorlds are the worlds a server can be in when the harness knows
// nothing: any valuation in which a required conversion implies a
// configured server (3.1.3 step 2).
func initialWorlds() Worlds {
	var s Worlds
	for w := World(0); w < numWorlds; w++ {
		if w.Has(Required) && !w.Has(Configured) {
			continue
		}
		s |= one(w)
	}
	return s
}

// ResetWorld is the state the control endpoint's reset establishes: a
// configured server whose data store needs a schema conversion, nothing in
// progress (docs/ipam-soap-binding.md).
const ResetWorld = Configured | Required
