package reproducer

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/specgate/specgate/internal/failfile"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
)

// Names of the files of an ipam-curl export.
const (
	IPAMScriptFile   = "run.sh"
	IPAMListenerFile = "listener.py"
)

//go:embed ipamrun.sh
var ipamPrelude string

//go:embed ipamlisten.py
var ipamListener []byte

// Placeholders of the envelope templates: shell variables the script sets
// (the target URL XML-escaped, the slot's callback URL, a fresh MessageID).
const (
	shTo    = "@TO@" // filled by post, which knows the URL of the action
	shMsgID = "${MSGID}"
)

func shCB(k int) string { return fmt.Sprintf("${CB%d}", k) }

// IPAMCurl renders ff, an IPAM failure, as a POSIX shell script that sends
// the exact envelopes specgate sends with curl, receives the callbacks with
// listener.py (Python 3 standard library), and compares each step's
// outcome with the outcomes the model allows there.
func IPAMCurl(ff *failfile.File) ([]File, error) {
	if ff.Model != "ipam" {
		return nil, fmt.Errorf("format ipam-curl needs an ipam failure, the file holds a %s failure", ff.Model)
	}
	p, err := ipam.ParseProfile(ff.Profile)
	if err != nil {
		return nil, fmt.Errorf("ipam-curl: %w", err)
	}
	control := failureUsedControl(ff)
	nodes, err := walkIPAM(ff.Sequence, p, control)
	if err != nil {
		return nil, err
	}
	prefix := "exact"
	if prefixFree(nodes) {
		prefix = "any"
		anyPrefix(nodes)
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# specgate IPAM reproducer of %s (specgate export --format ipam-curl).\n", ff.Name())
	fmt.Fprintf(&b, "# Model ipam, profile %s, seed %d, check %d; %d steps:\n", ff.Profile, ff.Seed, ff.Check, len(ff.Sequence))
	for i, s := range ff.Steps {
		fmt.Fprintf(&b, "#   %d. %s\n", i+1, s)
	}
	fmt.Fprintf(&b, "# specgate found: %s\n", oneLine(ff.Divergence.Message()))
	fmt.Fprintf(&b, "#\n# Usage: ./run.sh SOAP_URL%s\n", map[bool]string{true: " CONTROL_URL", false: " [CONTROL_URL]"}[control])
	b.WriteString(ipamPrelude)
	fmt.Fprintf(&b, "\nCONTROL_NEEDED=%d\nPREFIX=%s\nCHECKPOINTS=${CHECKPOINTS:-1}\nbegin\n", map[bool]int{true: 1, false: 0}[control], prefix)
	byStep := map[int][]ipamNode{}
	for _, n := range nodes {
		byStep[n.Step] = append(byStep[n.Step], n)
	}
	for step := 0; step <= len(ff.Sequence); step++ {
		if ns := byStep[step]; len(ns) > 0 {
			if err := writeStep(&b, step, ns); err != nil {
				return nil, err
			}
		}
	}
	b.WriteString("\npass\n")
	return []File{{IPAMScriptFile, []byte(b.String()), 0o755}, {IPAMListenerFile, ipamListener, 0o755}}, nil
}

// failureUsedControl reports whether the run that found ff drove the
// server through a control endpoint (then every sequence starts from a
// reset server, ResetWorld).
func failureUsedControl(ff *failfile.File) bool {
	for _, a := range ff.Sequence {
		if strings.HasPrefix(a.Op, "ctl.") {
			return true
		}
	}
	return strings.Contains(ff.Replay, " --control ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// writeStep writes one step: the request (sent unless every node of the
// step skips it) and, per node, the tokens allowed and the node each
// leads to.
func writeStep(b *strings.Builder, step int, ns []ipamNode) error {
	a := ns[0].Action
	fmt.Fprintf(b, "\n# ---- step %d: %s\n", step+1, a)
	send := false
	var skips strings.Builder
	for _, n := range ns {
		if n.Skip {
			fmt.Fprintf(&skips, "%d) sent=0; node=%d ;; # not judgeable in this state: not sent\n", n.ID, n.Next)
		} else {
			send = true
		}
	}
	b.WriteString("sent=1\n")
	if skips.Len() > 0 {
		fmt.Fprintf(b, "case $node in\n%sesac\n", skips.String())
	}
	if !send {
		return nil
	}
	b.WriteString("if [ $sent = 1 ]; then\n")
	fmt.Fprintf(b, "step %d %s\n", step+1, shQuote(a.String()))
	req, err := stepRequest(a)
	if err != nil {
		return fmt.Errorf("ipam-curl: step %d %s: %w", step+1, a, err)
	}
	b.WriteString(req)
	fmt.Fprintf(b, "obs=$(observe %s) || exit 3\ntok=\"$ans$obs\"\n", shQuote(ns[0].Await))
	b.WriteString("case $node in\n")
	for _, n := range ns {
		if n.Skip {
			continue
		}
		if n.Await != ns[0].Await {
			return fmt.Errorf("ipam-curl: step %d %s waits differently in two model states", step+1, a)
		}
		fmt.Fprintf(b, "%d)\n", n.ID)
		for _, x := range n.Allowed {
			fmt.Fprintf(b, "\t# model (cell %s): %s\n", n.Cell, x)
		}
		b.WriteString("\tcase $tok in\n")
		var toks []string
		for _, e := range n.Edges {
			fmt.Fprintf(b, "\t%s) node=%d ;;\n", shQuote(e.Token), e.Next)
			toks = append(toks, e.Token)
		}
		fmt.Fprintf(b, "\t*) mismatch %s %s ;;\n\tesac ;;\n", shQuote(n.Cell), shQuote(strings.Join(toks, " | ")))
	}
	b.WriteString("esac\nfi\n")
	return nil
}

// stepRequest writes the shell lines that perform a and leave its primary
// token in $ans.
func stepRequest(a models.Action) (string, error) {
	var b strings.Builder
	switch a.Op {
	case ipam.OpInitSchema, ipam.OpInitProv:
		action, resp := soap.ActionInitializeAsyncSchemaConversion, soap.ActionInitializeAsyncSchemaConversionResponse
		body := soap.InitializeAsyncSchemaConversionBody(nil)
		if a.Op == ipam.OpInitProv {
			action, resp = soap.ActionInitializeAsyncProvisioning, soap.ActionInitializeAsyncProvisioningResponse
			body = soap.InitializeAsyncProvisioningBody(nil)
		}
		fmt.Fprintf(&b, "open_session %d || exit 3\n", a.Idx)
		if err := envelope(&b, action, shCB(a.Idx), body); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "ans=$(post rr %s %s '') || exit 3\n", shQuote(action), shQuote(resp))
	case ipam.OpStartSchema, ipam.OpStartProv:
		action, body := soap.ActionStartAsyncSchemaConversion, soap.StartAsyncSchemaConversionBody()
		if a.Op == ipam.OpStartProv {
			action, body = soap.ActionStartAsyncProvisioning, soap.StartAsyncProvisioningBody()
		}
		if err := envelope(&b, action, shCB(a.Idx), body); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "ans=$(post oneway %s '' '') || exit 3\n", shQuote(action))
	case ipam.OpIsRequired, ipam.OpIsInProgress, ipam.OpIsConfigured:
		action, body := soap.ActionIsIpamConfigured, soap.IsIpamConfiguredBody()
		switch a.Op {
		case ipam.OpIsRequired:
			action, body = soap.ActionIsSchemaConversionRequired, soap.IsSchemaConversionRequiredBody()
		case ipam.OpIsInProgress:
			action, body = soap.ActionIsSchemaConversionInProgress, soap.IsSchemaConversionInProgressBody()
		}
		if err := envelope(&b, action, soap.WSAAnonymous, body); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "ans=$(post rr %s %s %s) || exit 3\n", shQuote(action), shQuote(action+"Response"), shQuote(a.Op+"Result"))
	case settleOp:
		b.WriteString("settle\nans=settled\n")
	default:
		js, err := controlJSON(a)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "ans=$(control_adm %s) || exit 3\n", shQuote(js))
	}
	return b.String(), nil
}

// controlJSON is the body of the control request a sends
// (docs/ipam-soap-binding.md §8).
func controlJSON(a models.Action) (string, error) {
	v := a.Arg == 1
	switch a.Op {
	case ipam.OpCtlRequired:
		return fmt.Sprintf(`{"schemaConversionRequired":%t}`, v), nil
	case ipam.OpCtlConfigured:
		return fmt.Sprintf(`{"ipamConfigured":%t}`, v), nil
	case ipam.OpCtlFailNext:
		if ipam.Family(a.Arg) == ipam.Schema {
			return `{"nextConversionFails":true}`, nil
		}
		return `{"nextProvisioningFails":true}`, nil
	case ipam.OpCtlHold:
		return `{"hold":true}`, nil
	case ipam.OpCtlRelease:
		return `{"hold":false}`, nil
	}
	return "", fmt.Errorf("unknown operation %q", a.Op)
}

// envelope writes a here-document of the exact envelope specgate sends
// for action, with the To, ReplyTo and MessageID left to the shell.
func envelope(b *strings.Builder, action, replyTo string, body []byte) error {
	env := soap.NewRequest(action, "@@TO@@", "@@REPLYTO@@", body)
	env.Header.MessageID = "@@MSGID@@"
	raw := string(env.Marshal())
	if strings.ContainsAny(raw, "$`\\") {
		return fmt.Errorf("the envelope holds a character a here-document would expand")
	}
	raw = strings.NewReplacer("@@TO@@", shTo, "@@REPLYTO@@", replyTo, "@@MSGID@@", shMsgID).Replace(raw)
	b.WriteString("MSGID=$(lq /_uuid) || exit 3\ncat >\"$W/req.xml\" <<EOF\n")
	b.WriteString(raw)
	b.WriteString("\nEOF\n")
	return nil
}
