// Package nodeinterop runs specgate's SOAP layer (internal/soap) against an
// independent SOAP implementation: an MS-IPAMM2 management server built on
// node-soap (ipam-server.js). See README.md in this directory.
//
// The test installs nothing: `make deps` installs node-soap
// (scripts/install-interop-node.sh, npm ci from the committed lock file).
// Without node, npm or node_modules it is skipped, saying so and naming
// `make deps`, unless CI=true, where it fails instead.
package nodeinterop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/internal/soap/soaptest"
	"github.com/specgate/specgate/internal/syncbuf"
)

const (
	startTimeout = 20 * time.Second // node start until the listening line
	callbackWait = 15 * time.Second // Start POST until the Complete callback
	quietPeriod  = 300 * time.Millisecond
)

// ---------------------------------------------------------------------------
// Harness plumbing

// requireNode skips the test when node or npm is missing, except under
// CI=true, where a missing toolchain is a failure.
func requireNode(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := strings.Join(missing, " and ") + " not found on PATH; the node-soap interop test needs Node.js >= 20.19 and npm, then `make deps`"
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true, so this is a failure, not a skip)", msg)
	}
	t.Skipf("SKIP node-soap interop test: %s (with CI=true this fails instead)", msg)
}

// installed checks that node-soap is installed in node_modules as the
// committed package-lock.json pins it (the stamp scripts/install-interop-node.sh
// writes). The test installs nothing: without it the test is skipped, saying
// that "make deps" installs it, except under CI=true, where it fails.
func install(t *testing.T) {
	t.Helper()
	if msg := nodeModulesProblem(); msg != "" {
		msg += "; run `make deps` (scripts/install-interop-node.sh: npm ci from package-lock.json) to install it"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true, so this is a failure, not a skip)", msg)
		}
		t.Skipf("SKIP node-soap interop test: %s (with CI=true this fails instead)", msg)
	}
}

// nodeModulesProblem says what is wrong with interop/node/node_modules,
// or "" when it matches package-lock.json.
func nodeModulesProblem() string {
	if _, err := os.Stat(filepath.Join("node_modules", "soap", "package.json")); err != nil {
		return "node-soap is not installed (interop/node/node_modules/soap is missing)"
	}
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		return "cannot read interop/node/package-lock.json: " + err.Error()
	}
	stamp, err := os.ReadFile(filepath.Join("node_modules", ".specgate-lock.sha256"))
	sum := sha256.Sum256(lock)
	if err != nil || strings.TrimSpace(string(stamp)) != hex.EncodeToString(sum[:]) {
		return "interop/node/node_modules does not match package-lock.json"
	}
	return ""
}

type nodeServer struct {
	base   string // http://127.0.0.1:PORT
	stderr *syncbuf.Buffer
}

// ipamURL returns the per-port-type endpoint of portType (soap.EndpointURL).
func (s *nodeServer) ipamURL(portType string) string {
	return soap.EndpointURL(s.base+"/ipam", portType, true)
}

func (s *nodeServer) control() *soap.Control {
	return &soap.Control{URL: s.base + "/control"}
}

var listeningLine = regexp.MustCompile(`^listening on 127\.0\.0\.1:([0-9]{1,5})$`)

// startServer runs `node ipam-server.js 0 args...` and waits (bounded) for
// its one stdout line. The process is killed in t.Cleanup; its stderr is
// logged when the test failed (or always with INTEROP_NODE_VERBOSE=1).
func startServer(t *testing.T, args ...string) *nodeServer {
	t.Helper()
	// --exit-on-stdin-eof: if this test binary dies without its cleanups,
	// the closed pipe still stops the server.
	cmd := exec.Command("node", append([]string{"ipam-server.js", "0", "--exit-on-stdin-eof"}, args...)...)
	srv := &nodeServer{stderr: &syncbuf.Buffer{}}
	cmd.Stderr = srv.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node ipam-server.js: %v", err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = stdin.Close()
		<-exited
		if t.Failed() || os.Getenv("INTEROP_NODE_VERBOSE") != "" {
			t.Logf("ipam-server.js %s stderr:\n%s", strings.Join(cmd.Args[2:], " "), srv.stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				lines <- sc.Text()
				first = false
				continue
			}
			t.Logf("unexpected extra stdout line from ipam-server.js: %q", sc.Text())
		}
		if first {
			close(lines)
		}
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("ipam-server.js exited before printing its listening line; stderr:\n%s", srv.stderr.String())
		}
		m := listeningLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("first stdout line of ipam-server.js is %q, want %q", line, "listening on 127.0.0.1:PORT")
		}
		srv.base = "http://127.0.0.1:" + m[1]
	case <-time.After(startTimeout):
		t.Fatalf("ipam-server.js printed no listening line within %v; stderr:\n%s", startTimeout, srv.stderr.String())
	}
	return srv
}

func newCallbackHost(t *testing.T) *soap.CallbackHost {
	t.Helper()
	return soaptest.StartHost(t, nil)
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// ---------------------------------------------------------------------------
// Message checks

// checkResponse asserts the §4 response headers and the HTTP shape of a
// request/response exchange.
func checkResponse(t *testing.T, what string, req *soap.Envelope, resp *soap.Response, wantAction string) {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("%s: HTTP %d, want 200; body:\n%s", what, resp.Status, resp.Raw)
	}
	if resp.Fault != nil {
		t.Fatalf("%s: unexpected fault %v", what, resp.Fault)
	}
	checkSoapContentType(t, what, resp.Header.Get("Content-Type"))
	h := resp.Envelope.Header
	if h.Action != wantAction || !h.ActionMustUnderstand {
		t.Errorf("%s: a:Action %q (mustUnderstand=%v), want %q with mustUnderstand", what, h.Action, h.ActionMustUnderstand, wantAction)
	}
	if h.RelatesTo != req.Header.MessageID {
		t.Errorf("%s: a:RelatesTo %q, want the request MessageID %q", what, h.RelatesTo, req.Header.MessageID)
	}
	if h.To != soap.WSAAnonymous || !h.ToMustUnderstand {
		t.Errorf("%s: a:To %q (mustUnderstand=%v), want anonymous with mustUnderstand", what, h.To, h.ToMustUnderstand)
	}
	for _, u := range h.Unknown {
		t.Errorf("%s: unexpected header block %s in the response", what, u.Name.Local)
	}
}

func checkSoapContentType(t *testing.T, what, ct string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != soap.MediaType {
		t.Errorf("%s: Content-Type %q, want %s", what, ct, soap.MediaType)
		return
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		t.Errorf("%s: charset %q, want utf-8", what, cs)
	}
}

// queryBool calls an IIpamServer Is* operation and returns its result.
func queryBool(t *testing.T, c *soap.Client, srv *nodeServer, action, body, op string) bool {
	t.Helper()
	url := srv.ipamURL(soap.PortIIpamServer)
	req := soap.NewRequest(action, url, "", []byte(body))
	resp, err := c.Call(ctxT(t, 10*time.Second), url, req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	checkResponse(t, op, req, resp, action+"Response")
	v, err := soap.ParseBoolResponse(resp.Envelope, op+"Result")
	if err != nil {
		t.Fatalf("%s: %v; body:\n%s", op, err, resp.Raw)
	}
	return v
}

func isConfigured(t *testing.T, c *soap.Client, srv *nodeServer) bool {
	return queryBool(t, c, srv, soap.ActionIsIpamConfigured, string(soap.IsIpamConfiguredBody()), "IsIpamConfigured")
}

func isRequired(t *testing.T, c *soap.Client, srv *nodeServer) bool {
	return queryBool(t, c, srv, soap.ActionIsSchemaConversionRequired, string(soap.IsSchemaConversionRequiredBody()), "IsSchemaConversionRequired")
}

func isInProgress(t *testing.T, c *soap.Client, srv *nodeServer) bool {
	return queryBool(t, c, srv, soap.ActionIsSchemaConversionInProgress, string(soap.IsSchemaConversionInProgressBody()), "IsSchemaConversionInProgress")
}

// family describes one async port type for the generic helpers.
type family struct {
	name                   string // soap.FamilySchema / soap.FamilyProvision
	port                   string
	initAction, initResp   string
	initBody               []byte
	startAction, startBody string
}

var (
	schemaFam = family{
		name: soap.FamilySchema, port: soap.PortIIpamAsyncSchemaConversion,
		initAction: soap.ActionInitializeAsyncSchemaConversion, initResp: soap.ActionInitializeAsyncSchemaConversionResponse,
		initBody:    soap.InitializeAsyncSchemaConversionBody(&soap.EnumerationParameters{}),
		startAction: soap.ActionStartAsyncSchemaConversion, startBody: string(soap.StartAsyncSchemaConversionBody()),
	}
	provFam = family{
		name: soap.FamilyProvision, port: soap.PortIIpamAsyncProvision,
		initAction: soap.ActionInitializeAsyncProvisioning, initResp: soap.ActionInitializeAsyncProvisioningResponse,
		initBody:    soap.InitializeAsyncProvisioningBody(&soap.EnumerationParameters{}),
		startAction: soap.ActionStartAsyncProvisioning, startBody: string(soap.StartAsyncProvisioningBody()),
	}
)

// initialize sends InitializeAsync* for the session at cbURL and checks the
// SOAP 1.2 response (Action, RelatesTo, empty response element).
func initialize(t *testing.T, c *soap.Client, srv *nodeServer, f family, cbURL string) {
	t.Helper()
	url := srv.ipamURL(f.port)
	req := soap.NewRequest(f.initAction, url, cbURL, f.initBody)
	resp, err := c.Call(ctxT(t, 10*time.Second), url, req)
	if err != nil {
		t.Fatalf("Initialize (%s): %v", f.name, err)
	}
	checkResponse(t, "Initialize "+f.name, req, resp, f.initResp)
	want := xml.Name{Space: soap.NSIpam, Local: strings.TrimPrefix(f.initResp, "http://Microsoft.Windows.Ipam/"+f.port+"/")}
	if resp.Envelope.Body.Name != want {
		t.Errorf("Initialize (%s): body element %v, want %v", f.name, resp.Envelope.Body.Name, want)
	}
}

// start sends the one-way StartAsync* and asserts 202 with an empty body.
func start(t *testing.T, c *soap.Client, srv *nodeServer, f family, cbURL string) {
	t.Helper()
	url := srv.ipamURL(f.port)
	req := soap.NewRequest(f.startAction, url, cbURL, []byte(f.startBody))
	resp, err := c.Send(ctxT(t, 10*time.Second), url, req)
	if err != nil {
		t.Fatalf("Start (%s): %v", f.name, err)
	}
	if resp.Fault != nil {
		t.Fatalf("Start (%s): fault %v", f.name, resp.Fault)
	}
	if resp.Status != http.StatusAccepted || len(bytes.TrimSpace(resp.Raw)) != 0 {
		t.Fatalf("Start (%s): HTTP %d with %d body bytes, want 202 with an empty body", f.name, resp.Status, len(resp.Raw))
	}
}

// cb is one received callback: the host event and its parse.
type cb struct {
	ev soap.Event
	cb soap.Callback
}

func (c cb) String() string {
	s := c.cb.Info.Kind
	if c.cb.Info.Kind == soap.KindComplete {
		if c.cb.Faulted() {
			s += "(exception " + c.cb.Exception.ExceptionID + ")"
		} else {
			s += "(exception nil)"
		}
	}
	return s
}

func kinds(cbs []cb) string {
	var parts []string
	for _, c := range cbs {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, ", ")
}

// parseAll parses every event of a session strictly: each must be a
// well-formed callback POST whose Action is a known callback Action, whose
// body parses with soap.ParseCallbackBody without deviations, and whose
// headers are those of §4 / §6.
func parseAll(t *testing.T, evs []soap.Event, cbURL, fam string) []cb {
	t.Helper()
	var out []cb
	for _, ev := range evs {
		if ev.Kind != soap.EventCallback {
			t.Fatalf("callback #%d: host recorded %s: %s (Content-Type %q)\n%s", ev.Seq, ev.Kind, ev.Err, ev.ContentType, ev.Raw)
		}
		p, err := soap.ParseCallbackBody(ev.Envelope)
		if err != nil {
			t.Fatalf("callback #%d: ParseCallbackBody: %v\n%s", ev.Seq, err, ev.Raw)
		}
		if len(p.Deviations) > 0 {
			t.Errorf("callback #%d (%s): deviations %q\n%s", ev.Seq, p.Action, p.Deviations, ev.Raw)
		}
		if p.Info.Family != fam {
			t.Errorf("callback #%d: family %s, want %s (%s)", ev.Seq, p.Info.Family, fam, p.Action)
		}
		if p.Info.Prefix != soap.PrefixServerPort {
			t.Errorf("callback #%d: Action %s uses the %s prefix, want the server-port prefix consistently", ev.Seq, p.Action, p.Info.Prefix)
		}
		h := ev.Envelope.Header
		if !h.ActionMustUnderstand {
			t.Errorf("callback #%d: a:Action without mustUnderstand", ev.Seq)
		}
		if h.To != cbURL || !h.ToMustUnderstand {
			t.Errorf("callback #%d: a:To %q (mustUnderstand=%v), want %q with mustUnderstand", ev.Seq, h.To, h.ToMustUnderstand, cbURL)
		}
		if h.RelatesTo != "" {
			t.Errorf("callback #%d: a:RelatesTo %q should be absent", ev.Seq, h.RelatesTo)
		}
		if ev.ContentTypeAction != h.Action {
			t.Errorf("callback #%d: Content-Type action %q differs from a:Action %q", ev.Seq, ev.ContentTypeAction, h.Action)
		}
		for _, u := range h.Unknown {
			t.Errorf("callback #%d: unexpected header block %s", ev.Seq, u.Name.Local)
		}
		out = append(out, cb{ev: ev, cb: p})
	}
	return out
}

func hasKind(cbs []cb, kind string) bool {
	for _, c := range cbs {
		if c.cb.Info.Kind == kind {
			return true
		}
	}
	return false
}

// waitFor waits (bounded) until pred holds on the session's parsed
// callbacks, then for a quiet period, and returns everything received.
// reached, when non-nil, runs as soon as pred holds, before the quiet
// period (to observe the server's state right at that callback).
func waitFor(t *testing.T, host *soap.CallbackHost, id, cbURL, fam string, pred func([]cb) bool, reached func()) []cb {
	t.Helper()
	ctx := ctxT(t, callbackWait)
	evs, err := host.Wait(ctx, id, func(evs []soap.Event) bool {
		var cbs []cb
		for _, ev := range evs {
			if ev.Kind != soap.EventCallback {
				return true // parseAll reports it
			}
			p, err := soap.ParseCallbackBody(ev.Envelope)
			if err != nil {
				return true
			}
			cbs = append(cbs, cb{ev: ev, cb: p})
		}
		return pred(cbs)
	})
	if err != nil {
		t.Fatalf("waiting for callbacks: %v; got %d so far (%s)", err, len(evs), kinds(parseAll(t, evs, cbURL, fam)))
	}
	if reached != nil {
		reached()
	}
	// Anything after the awaited callback (nothing is allowed after Complete).
	time.Sleep(quietPeriod)
	return parseAll(t, host.Events(id), cbURL, fam)
}

func waitComplete(t *testing.T, host *soap.CallbackHost, id, cbURL, fam string) []cb {
	t.Helper()
	return waitCompleteThen(t, host, id, cbURL, fam, nil)
}

func waitCompleteThen(t *testing.T, host *soap.CallbackHost, id, cbURL, fam string, reached func()) []cb {
	t.Helper()
	return waitFor(t, host, id, cbURL, fam, func(cbs []cb) bool { return hasKind(cbs, soap.KindComplete) }, reached)
}

// orderViolation checks the §3.13.1.1 / §3.17.1.1 callback order with the
// documented-profile allowance for a Complete without Start (E13): Start,
// Checkpoint*, Complete, then nothing. It returns "" or the first violation.
func orderViolation(cbs []cb) string {
	state := "initialized"
	for i, c := range cbs {
		k := c.cb.Info.Kind
		switch state {
		case "initialized":
			switch k {
			case soap.KindStart:
				state = "in-progress"
			case soap.KindComplete:
				state = "completed" // E13, documented profile
			default:
				return fmt.Sprintf("callback #%d is %s before any Start", i+1, k)
			}
		case "in-progress":
			switch k {
			case soap.KindCheckpoint:
			case soap.KindComplete:
				state = "completed"
			default:
				return fmt.Sprintf("callback #%d is a second %s", i+1, k)
			}
		case "completed":
			return fmt.Sprintf("callback #%d (%s) arrived after Complete", i+1, k)
		}
	}
	if state != "completed" {
		return "no Complete"
	}
	return ""
}

// wantSequence asserts the exact kinds received.
func wantSequence(t *testing.T, what string, cbs []cb, want ...string) {
	t.Helper()
	if got := kinds(cbs); got != strings.Join(want, ", ") {
		t.Fatalf("%s: callbacks %q, want %q", what, got, strings.Join(want, ", "))
	}
	if v := orderViolation(cbs); v != "" {
		t.Fatalf("%s: order violation: %s", what, v)
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func seq(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// checkException asserts the Complete carries an IpamException with id.
func checkException(t *testing.T, what string, c cb, id string) {
	t.Helper()
	if !c.cb.Faulted() {
		t.Fatalf("%s: Complete has no exception, want %s\n%s", what, id, c.ev.Raw)
	}
	if c.cb.Exception.ExceptionID != id {
		t.Errorf("%s: ExceptionId %q, want %q (%v)", what, c.cb.Exception.ExceptionID, id, c.cb.Exception)
	}
	if c.cb.Exception.ExceptionMessage == "" {
		t.Errorf("%s: empty ExceptionMessage", what)
	}
}

// checkIpamFault asserts a SOAP 1.2 fault with §4 headers and an
// IpamException detail, parsed with soap.ParseFault.
func checkIpamFault(t *testing.T, what string, req *soap.Envelope, resp *soap.Response, id string) {
	t.Helper()
	if resp.Status != http.StatusBadRequest && resp.Status != http.StatusInternalServerError {
		t.Errorf("%s: HTTP %d, want 400 or 500", what, resp.Status)
	}
	if resp.Envelope == nil || !resp.Envelope.Body.IsFault() {
		t.Fatalf("%s: response is not a SOAP 1.2 fault:\n%s", what, resp.Raw)
	}
	checkSoapContentType(t, what, resp.Header.Get("Content-Type"))
	h := resp.Envelope.Header
	if h.Action != soap.WSAFaultAction || !h.ActionMustUnderstand {
		t.Errorf("%s: fault a:Action %q (mustUnderstand=%v), want %s with mustUnderstand", what, h.Action, h.ActionMustUnderstand, soap.WSAFaultAction)
	}
	if h.RelatesTo != req.Header.MessageID {
		t.Errorf("%s: fault a:RelatesTo %q, want %q", what, h.RelatesTo, req.Header.MessageID)
	}
	if h.To != soap.WSAAnonymous || !h.ToMustUnderstand {
		t.Errorf("%s: fault a:To %q, want anonymous with mustUnderstand", what, h.To)
	}
	f, err := soap.ParseFault(resp.Envelope.Body.Inner)
	if err != nil {
		t.Fatalf("%s: ParseFault: %v\n%s", what, err, resp.Raw)
	}
	if f.Code != soap.CodeSender {
		t.Errorf("%s: fault code %v, want s:Sender", what, f.Code)
	}
	if f.Reason() == "" || f.Reasons[0].Lang == "" {
		t.Errorf("%s: fault Reason/Text without text or xml:lang: %+v", what, f.Reasons)
	}
	exc, err := f.IpamException()
	if err != nil || exc == nil {
		t.Fatalf("%s: no IpamException in the fault Detail (err %v):\n%s", what, err, resp.Raw)
	}
	if exc.ExceptionID != id {
		t.Errorf("%s: IpamException id %q, want %q", what, exc.ExceptionID, id)
	}
	if exc.DataType != "ipam:IpamExceptionData" {
		t.Errorf("%s: IpamExceptionData i:type %q", what, exc.DataType)
	}
}

func setADM(t *testing.T, srv *nodeServer, a soap.ADM) {
	t.Helper()
	if err := srv.control().Set(ctxT(t, 10*time.Second), a); err != nil {
		t.Fatalf("control set: %v", err)
	}
}

func getADM(t *testing.T, srv *nodeServer) soap.ADM {
	t.Helper()
	a, err := srv.control().Get(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatalf("control get: %v", err)
	}
	return a
}

func resetServer(t *testing.T, srv *nodeServer, a soap.ADM) {
	t.Helper()
	if err := srv.control().Reset(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("control reset: %v", err)
	}
	setADM(t, srv, a)
}

func deref(b *bool) string {
	if b == nil {
		return "absent"
	}
	return fmt.Sprint(*b)
}

// ---------------------------------------------------------------------------
// The test

func TestNodeSoapInterop(t *testing.T) {
	requireNode(t)
	install(t)
	began := time.Now()
	srv := startServer(t)
	t.Logf("node-soap server at %s (started in %v)", srv.base, time.Since(began).Round(time.Millisecond))
	client := &soap.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	host := newCallbackHost(t)

	t.Run("SchemaConversion", func(t *testing.T) {
		resetServer(t, srv, soap.ADM{
			IpamConfigured: soap.Bool(true), SchemaConversionRequired: soap.Bool(true),
			Checkpoints: soap.Int(3), NextConversionFails: soap.Bool(false), Hold: soap.Bool(false),
		})
		if a := getADM(t, srv); a.Checkpoints == nil || *a.Checkpoints != 3 || deref(a.SchemaConversionRequired) != "true" {
			t.Fatalf("control get after set: %+v", a)
		}
		if !isConfigured(t, client, srv) {
			t.Fatal("IsIpamConfigured = false, want true")
		}
		if !isRequired(t, client, srv) {
			t.Fatal("IsSchemaConversionRequired = false, want true")
		}
		if isInProgress(t, client, srv) {
			t.Fatal("IsSchemaConversionInProgress = true before any conversion")
		}

		// 1. A successful conversion.
		id, cbURL := host.NewSession()
		initialize(t, client, srv, schemaFam, cbURL)
		start(t, client, srv, schemaFam, cbURL)
		// The ADM is updated before Complete is sent (§3.15.4.7 step 5), so
		// it is visible as soon as Complete has arrived.
		var requiredAtComplete, inProgressAtComplete bool
		cbs := waitCompleteThen(t, host, id, cbURL, soap.FamilySchema, func() {
			requiredAtComplete, inProgressAtComplete = isRequired(t, client, srv), isInProgress(t, client, srv)
		})
		wantSequence(t, "conversion", cbs, seq([]string{soap.KindStart}, repeat(soap.KindCheckpoint, 3), []string{"complete(exception nil)"})...)
		for _, c := range cbs {
			if c.cb.Info.Kind == soap.KindCheckpoint && (!c.cb.DataPresent || !c.cb.DataNil) {
				t.Errorf("checkpoint data: present=%v nil=%v, want <data i:nil=\"true\"/>", c.cb.DataPresent, c.cb.DataNil)
			}
		}
		last := cbs[len(cbs)-1].cb
		if last.Exception == nil || !last.Exception.Nil || !last.ResultPresent || !last.ResultNil {
			t.Errorf("Complete: exception %v, result present=%v nil=%v; want both present and nil", last.Exception, last.ResultPresent, last.ResultNil)
		}
		if requiredAtComplete || inProgressAtComplete {
			t.Fatalf("when Complete arrived: IsSchemaConversionRequired=%v IsSchemaConversionInProgress=%v, want both false (ADM updated before Complete)", requiredAtComplete, inProgressAtComplete)
		}

		// A §2.2.2.2 keepalive on the finished session: 202, ignored.
		url := srv.ipamURL(soap.PortIIpamAsyncSchemaConversion)
		ka := soap.NewRequest(soap.ActionKeepalive, url, cbURL, nil)
		if resp, err := client.Send(ctxT(t, 10*time.Second), url, ka); err != nil || resp.Status != http.StatusAccepted || resp.Fault != nil {
			t.Errorf("keepalive: %v, %+v, want 202", err, resp)
		}

		// 2. A second conversion: not required any more (step 3) -> Start (E6), Complete(exception).
		id2, cbURL2 := host.NewSession()
		initialize(t, client, srv, schemaFam, cbURL2)
		start(t, client, srv, schemaFam, cbURL2)
		cbs = waitComplete(t, host, id2, cbURL2, soap.FamilySchema)
		wantSequence(t, "conversion not required", cbs, soap.KindStart, "complete(exception IpamSchemaConversionNotRequired)")
		checkException(t, "conversion not required", cbs[1], "IpamSchemaConversionNotRequired")
		if isInProgress(t, client, srv) {
			t.Error("IsSchemaConversionInProgress stuck true after the not-required rejection (documented profile, E5)")
		}

		// 3. An injected failure (nextConversionFails): step 6, exception with an inner exception.
		setADM(t, srv, soap.ADM{SchemaConversionRequired: soap.Bool(true), NextConversionFails: soap.Bool(true), Checkpoints: soap.Int(1)})
		id3, cbURL3 := host.NewSession()
		initialize(t, client, srv, schemaFam, cbURL3)
		start(t, client, srv, schemaFam, cbURL3)
		cbs = waitComplete(t, host, id3, cbURL3, soap.FamilySchema)
		wantSequence(t, "failing conversion", cbs, soap.KindStart, soap.KindCheckpoint, "complete(exception IpamSchemaConversionFailed)")
		checkException(t, "failing conversion", cbs[2], "IpamSchemaConversionFailed")
		t.Logf("node-soap client's NotifyAsyncSchemaConversionComplete (failure), Content-Type %q:\n%s", cbs[2].ev.ContentType, cbs[2].ev.Raw)
		if in := cbs[2].cb.Exception.Inner; in == nil || in.ExceptionID != "IpamSchemaConversionCouldNotBeDoneForThisVersion" {
			t.Errorf("failing conversion: inner exception %v", in)
		}
		if a := getADM(t, srv); deref(a.NextConversionFails) != "false" || deref(a.SchemaConversionRequired) != "true" || deref(a.SchemaConversionInProgress) != "false" {
			t.Errorf("after the failed conversion: ADM %s", admString(a))
		}
	})

	t.Run("GateFaults", func(t *testing.T) {
		resetServer(t, srv, soap.ADM{IpamConfigured: soap.Bool(false), SchemaConversionRequired: soap.Bool(false)})
		if isConfigured(t, client, srv) {
			t.Fatal("IsIpamConfigured = true, want false")
		}
		// §3.1.4.2 step 3: IsSchemaConversionRequired is rejected when not configured.
		url := srv.ipamURL(soap.PortIIpamServer)
		req := soap.NewRequest(soap.ActionIsSchemaConversionRequired, url, "", soap.IsSchemaConversionRequiredBody())
		resp, err := client.Call(ctxT(t, 10*time.Second), url, req)
		if err != nil {
			t.Fatalf("IsSchemaConversionRequired: %v", err)
		}
		checkIpamFault(t, "IsSchemaConversionRequired while unconfigured", req, resp, "IpamApiCallsAreNotAllowedUntilProvisioningIsDone")
		t.Logf("gate fault, HTTP %d:\n%s", resp.Status, resp.Raw)

		// ... and so is InitializeAsyncSchemaConversion.
		_, cbURL := host.NewSession()
		url = srv.ipamURL(soap.PortIIpamAsyncSchemaConversion)
		req = soap.NewRequest(soap.ActionInitializeAsyncSchemaConversion, url, cbURL, schemaFam.initBody)
		resp, err = client.Call(ctxT(t, 10*time.Second), url, req)
		if err != nil {
			t.Fatalf("InitializeAsyncSchemaConversion: %v", err)
		}
		checkIpamFault(t, "InitializeAsyncSchemaConversion while unconfigured", req, resp, "IpamApiCallsAreNotAllowedUntilProvisioningIsDone")

		// The one-way Start: 202, then the gate's exception in Complete (E3, documented profile).
		id2, cbURL2 := host.NewSession()
		start(t, client, srv, schemaFam, cbURL2)
		cbs := waitComplete(t, host, id2, cbURL2, soap.FamilySchema)
		wantSequence(t, "Start while unconfigured", cbs, "complete(exception IpamApiCallsAreNotAllowedUntilProvisioningIsDone)")

		// A mustUnderstand header block node-soap cannot know (SOAP 1.2 Part 1 §5.4.8).
		url = srv.ipamURL(soap.PortIIpamServer)
		req = soap.NewRequest(soap.ActionIsIpamConfigured, url, "", soap.IsIpamConfiguredBody())
		req.Header.Unknown = []soap.UnknownHeader{{Name: xml.Name{Space: "urn:specgate:test", Local: "Unknown"}, MustUnderstand: true}}
		resp, err = client.Call(ctxT(t, 10*time.Second), url, req)
		if err != nil {
			t.Fatalf("IsIpamConfigured with an unknown mustUnderstand header: %v", err)
		}
		if resp.Fault == nil || resp.Fault.Code != soap.CodeMustUnderstand {
			t.Errorf("unknown mustUnderstand header: got %v, want an s:MustUnderstand fault\n%s", resp.Fault, resp.Raw)
		}

		// A SOAP 1.1 envelope (§3: not accepted whatever the Content-Type).
		raw := soap.RawEnvelope(soap.NSSoap11, "", string(soap.IsIpamConfiguredBody()))
		resp, err = client.Post(ctxT(t, 10*time.Second), url, soap.ContentType(soap.ActionIsIpamConfigured), raw)
		if err != nil {
			t.Fatalf("SOAP 1.1 envelope: %v", err)
		}
		if resp.Fault == nil || resp.Fault.Code != soap.CodeVersionMismatch {
			t.Errorf("SOAP 1.1 envelope: HTTP %d, fault %v; want an s:VersionMismatch fault\n%s", resp.Status, resp.Fault, resp.Raw)
		}

		// text/xml is SOAP 1.1's media type: 415.
		resp, err = client.Post(ctxT(t, 10*time.Second), url, "text/xml; charset=utf-8", req.Marshal())
		if resp == nil { // a non-SOAP body only gives err alongside resp
			t.Fatalf("text/xml: %v", err)
		}
		if resp.Status != http.StatusUnsupportedMediaType {
			t.Errorf("text/xml: HTTP %d, want 415", resp.Status)
		}
	})

	t.Run("Provisioning", func(t *testing.T) {
		resetServer(t, srv, soap.ADM{IpamConfigured: soap.Bool(false), SchemaConversionRequired: soap.Bool(false), Checkpoints: soap.Int(2)})
		id, cbURL := host.NewSession()
		initialize(t, client, srv, provFam, cbURL)
		start(t, client, srv, provFam, cbURL)
		cbs := waitComplete(t, host, id, cbURL, soap.FamilyProvision)
		wantSequence(t, "provisioning", cbs, soap.KindStart, soap.KindCheckpoint, soap.KindCheckpoint, "complete(exception nil)")
		if !isConfigured(t, client, srv) {
			t.Fatal("IsIpamConfigured = false after a successful provisioning")
		}
	})

	t.Run("Hold", func(t *testing.T) {
		resetServer(t, srv, soap.ADM{IpamConfigured: soap.Bool(true), SchemaConversionRequired: soap.Bool(true), Checkpoints: soap.Int(1), Hold: soap.Bool(true)})
		idA, cbA := host.NewSession()
		initialize(t, client, srv, schemaFam, cbA)
		start(t, client, srv, schemaFam, cbA)
		cbs := waitFor(t, host, idA, cbA, soap.FamilySchema, func(cbs []cb) bool { return len(cbs) >= 2 }, nil)
		wantSequenceOpen(t, "held conversion", cbs, soap.KindStart, soap.KindCheckpoint)
		if !isInProgress(t, client, srv) {
			t.Fatal("IsSchemaConversionInProgress = false while a conversion is held")
		}
		// A second session while the first is in progress: step 1 rejection, never held.
		idB, cbB := host.NewSession()
		initialize(t, client, srv, schemaFam, cbB)
		start(t, client, srv, schemaFam, cbB)
		cbsB := waitComplete(t, host, idB, cbB, soap.FamilySchema)
		wantSequence(t, "second session while held", cbsB, soap.KindStart, "complete(exception IpamSchemaConversionAnotherOperationInProgress)")
		// Release: A completes as it would have.
		setADM(t, srv, soap.ADM{Hold: soap.Bool(false)})
		cbs = waitComplete(t, host, idA, cbA, soap.FamilySchema)
		wantSequence(t, "released conversion", cbs, soap.KindStart, soap.KindCheckpoint, "complete(exception nil)")
		if isRequired(t, client, srv) || isInProgress(t, client, srv) {
			t.Fatal("after release: conversion still required or in progress")
		}
	})

	t.Run("MalformedRequests", func(t *testing.T) {
		// node-soap's own answers to these are not SOAP 1.2 faults; ipam-server.js
		// repairs them (README.md). Each must come back as a fault the harness parses.
		url := srv.ipamURL(soap.PortIIpamServer)
		for _, tc := range []struct{ name, body string }{
			{"not XML", "not xml at all"},
			{"unclosed element", `<s:Envelope xmlns:s="` + soap.NSSoap12 + `"><s:Body><IsIpamConfigured xmlns="` + soap.NSIpam + `"></s:Body></s:Envelope>`},
			{"unknown body element", string(soap.RawEnvelope(soap.NSSoap12, "", `<Bogus xmlns="`+soap.NSIpam+`"/>`))},
		} {
			resp, err := client.Post(ctxT(t, 10*time.Second), url, soap.ContentType(soap.ActionIsIpamConfigured), []byte(tc.body))
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if resp.Status != http.StatusBadRequest && resp.Status != http.StatusInternalServerError || resp.Fault == nil {
				t.Errorf("%s: HTTP %d, fault %v; want 400/500 with a SOAP 1.2 fault\n%s", tc.name, resp.Status, resp.Fault, resp.Raw)
				continue
			}
			if h := resp.Envelope.Header; h.Action != soap.WSAFaultAction || h.To != soap.WSAAnonymous || len(h.Unknown) != 0 {
				t.Errorf("%s: fault headers %+v", tc.name, h)
			}
			t.Logf("%s: HTTP %d, %v", tc.name, resp.Status, resp.Fault)
		}
	})

	t.Run("SingleURLLayout", func(t *testing.T) {
		resetServer(t, srv, soap.ADM{IpamConfigured: soap.Bool(true)})
		url := soap.EndpointURL(srv.base+"/ipam", soap.PortIIpamServer, false)
		req := soap.NewRequest(soap.ActionIsIpamConfigured, url, "", soap.IsIpamConfiguredBody())
		resp, err := client.Call(ctxT(t, 10*time.Second), url, req)
		if err != nil {
			t.Fatalf("IsIpamConfigured at %s: %v", url, err)
		}
		checkResponse(t, "IsIpamConfigured (single URL)", req, resp, soap.ActionIsIpamConfiguredResponse)
		if v, err := soap.ParseBoolResponse(resp.Envelope, "IsIpamConfiguredResult"); err != nil || !v {
			t.Fatalf("IsIpamConfigured (single URL): %v, %v", v, err)
		}
	})

	t.Run("BrokenCompleteBeforeStart", func(t *testing.T) {
		broken := startServer(t, "--broken", "complete-before-start")
		resetServer(t, broken, soap.ADM{IpamConfigured: soap.Bool(true), SchemaConversionRequired: soap.Bool(true), Checkpoints: soap.Int(1)})
		id, cbURL := host.NewSession()
		initialize(t, client, broken, schemaFam, cbURL)
		start(t, client, broken, schemaFam, cbURL)
		cbs := waitFor(t, host, id, cbURL, soap.FamilySchema, func(cbs []cb) bool { return len(cbs) >= 3 }, nil)
		v := orderViolation(cbs)
		if v == "" {
			t.Fatalf("broken server: callbacks %s passed the order check", kinds(cbs))
		}
		if cbs[0].cb.Info.Kind != soap.KindComplete {
			t.Fatalf("broken server: first callback %s, want Complete", cbs[0])
		}
		t.Logf("broken server caught: %s (callbacks: %s)", v, kinds(cbs))
	})

	t.Logf("interop exchange took %v", time.Since(began).Round(time.Millisecond))
}

// wantSequenceOpen asserts the kinds received so far for a session that
// has not completed.
func wantSequenceOpen(t *testing.T, what string, cbs []cb, want ...string) {
	t.Helper()
	if got := kinds(cbs); got != strings.Join(want, ", ") {
		t.Fatalf("%s: callbacks %q, want %q and no Complete", what, got, strings.Join(want, ", "))
	}
}

func admString(a soap.ADM) string {
	return fmt.Sprintf("required=%s configured=%s nextConversionFails=%s inProgress=%s",
		deref(a.SchemaConversionRequired), deref(a.IpamConfigured), deref(a.NextConversionFails), deref(a.SchemaConversionInProgress))
}
