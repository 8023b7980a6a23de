package ipam

import "strings"

// checkPrefix judges a callback's Action prefix (IPAM-E16): the callback
// port type's (…Callback/…) is side 0, the server port type's side 1.
func (m *Model) checkPrefix(cb Callback, actionC string) *Div {
	switch {
	case !cb.CallbackPrefix && !m.Profile.allows(aE16, 1):
		return &Div{Clause: actionC, Expected: []string{"Action with the callback port type prefix"}, Observed: cb.String() + " with the server port type prefix"}
	case cb.CallbackPrefix && !m.Profile.allows(aE16, 0):
		return &Div{Clause: actionC, Expected: []string{"Action with the server port type prefix"}, Observed: cb.String() + " with the callback port type prefix"}
	}
	return nil
}

// checkFamily judges a callback's family. A schema conversion's start
// notification is NotifyAsyncProvisionStart by 3.15.4.7's text (IPAM-E1
// side 0) and NotifyAsyncSchemaConversionStart by 3.15.1.1 (side 1).
func (m *Model) checkFamily(fam Family, cb Callback, actionC string) *Div {
	if fam == Schema && cb.Kind == CBStart {
		switch {
		case cb.Family == Provision && m.Profile.allows(aE1, 0), cb.Family == Schema && m.Profile.allows(aE1, 1):
			return nil
		case cb.Family == Schema:
			return &Div{Clause: ClSchemaStart, Expected: []string{notifyName(Provision, CBStart)}, Observed: cb.String()}
		}
	}
	if cb.Family != fam {
		return &Div{Clause: actionC, Expected: []string{fam.String() + " callbacks"}, Observed: cb.String()}
	}
	return nil
}

// describeRejection renders what a rejecting branch allows: a SOAP fault
// answering the Start (side 0 of its delivery ambiguity), Complete with
// the exception (side 1), or either; the start notification first unless
// IPAM-E6's figures let a rejection skip it.
func (m *Model) describeRejection(b branch, start, comp string) string {
	amb := b.delivery()
	var alts []string
	if m.Profile.allows(amb, 0) {
		alts = append(alts, "SOAP fault")
	}
	if m.Profile.allows(amb, 1) {
		seq := start + ", " + comp + "(exception)"
		if m.Profile.side(aE6) == 1 {
			seq = "(" + start + ")? " + comp + "(exception)"
		}
		alts = append(alts, seq)
	}
	return strings.Join(alts, ", or ") + " [" + b.clause + "]"
}

// faultAllowed reports whether a SOAP fault answering a Start of family
// fam is an allowed delivery of a rejection in some current world; when it
// is not, a fault breaks the fault-delivery clause.
func (m *Model) faultAllowed(fam Family) bool {
	rejects, ok := false, false
	m.W.Each(func(w World) {
		for _, b := range m.startBranches(w, fam) {
			if b.reject {
				rejects = true
				ok = ok || m.Profile.allows(b.delivery(), 0)
			}
		}
	})
	if !rejects {
		return m.Profile.allows(aE3, 0)
	}
	return ok
}
