package robustness

// What specgate reports for every misbehaviour of fixtures/chaos
// (docs/vdi-shim-protocol.md §8, docs/ipam-soap-binding.md §3, §6, §11).
// Deadlines: shim call 1s (exec: it also covers a child's start) / 500ms
// (tcp), SOAP call 800ms, quiescence 800ms (3s for the 50 MB and
// 100,000-deep cases, whose point is the limits).
//
// VDI shim (selected on vdi.GetCommand, step 6 of vdiFaultSeq; message
// "<kind> at step 6 GetCommand(device=0) [vdi/client-table/Active/GetCommand]:
// expected NOERROR -> Active; observed <kind> (<detail>)"):
//
//	mode          exec: kind, detail                                              tcp: detail (same kind)
//	hang          hang       shim hang in vdi.GetCommand: no response before the call deadline        (same)
//	late          hang       (same as hang: the answer comes after the deadline)                       (same)
//	drip          hang       (same as hang: 1 byte/s never completes a line in time)                   (same)
//	close         crash      shim crash in vdi.GetCommand: shim stopped writing in the middle of a     ...: connection closed by the shim in the
//	                         response line and did not exit (killed)                                   middle of a response line
//	exit          crash      shim crash in vdi.GetCommand: shim exited before answering (exit status   ...: connection closed by the shim before
//	                         70)                                                                       answering
//	exit-partial  crash      shim crash in vdi.GetCommand: shim exited in the middle of a response     ...: connection closed by the shim in the
//	                         line (exit status 70)                                                     middle of a response line
//	invalid       malformed  shim malformed in vdi.GetCommand: response is not valid JSON (invalid     (same)
//	                         character 'c' looking for beginning of value); stdout must carry
//	                         protocol lines only
//	huge (50 MB)  malformed  shim malformed in vdi.GetCommand: response line longer than 1 MiB         (same); < 10 MB allocated
//	deep (100k)   malformed  shim malformed in vdi.GetCommand: response is not valid JSON (invalid     (same)
//	                         character '[' exceeded max depth); stdout must carry protocol lines only
//	wrong-id      malformed  shim malformed in vdi.GetCommand: response id 9 does not match request    (same)
//	                         id 8
//	rpc-error     malformed  shim rpc-error in vdi.GetCommand: JSON-RPC error -32603: "chaos: the      (same); the session is kept (no restart)
//	                         implementation failed"
//
// After each, the next sequence passes on a restarted child / new
// connection. engine.Run over "exit@5" executes every check (exec: the
// first child exits on its 5th call; tcp: the listener's 5th call).
// engine.Run over a shim whose every child exits on its 2nd call reports
// the crashes and goes on; a fault in the shim.reset that ends a session
// does not leave the next child without shim.hello.
//
// SOAP responses (selected on IsIpamConfigured, step 1; message "<kind>
// at step 1 IsIpamConfigured() [ipam/3.3.4.114]: expected a SOAP 1.2
// response; observed <kind> (<detail>)"):
//
//	hang          hang       no HTTP response before the call deadline
//	late          hang       (same)
//	drip          hang       (same)
//	close         crash      connection closed before a complete response
//	exit          crash      connection closed before a complete response (and Exit(70) is called)
//	exit-partial  crash      connection closed before a complete response (and Exit(70) is called)
//	invalid       malformed  soap: not XML: unexpected end of document inside {…addressing}RelatesTo
//	huge (50 MB)  malformed  soap: message too large: more than 1048576 bytes; < 10 MB allocated
//	deep (100k)   malformed  soap: document nested too deeply: more than 64 nested elements (at byte 432)
//	soap11        malformed  soap: SOAP 1.1 envelope (namespace http://schemas.xmlsoap.org/soap/envelope/);
//	                         SOAP 1.2 (http://www.w3.org/2003/05/soap-envelope) is required
//	not-soap      malformed  soap: root element is not a SOAP 1.2 Envelope: root element is html
//	content-type  malformed  (a Content-Type error)
//
// SOAP callbacks (a schema conversion, InitializeAsyncSchemaConversion(session=0)
// then StartAsyncSchemaConversion(session=0); message "divergence at step 2
// StartAsyncSchemaConversion(session=0) [<clause>]: expected <…>; observed <…>",
// or "at step 3 settle()" when the extra callback arrives after the step):
//
//	cb-late (Complete +2s)     ipam/quiescence                      NotifyAsyncSchemaConversionStart, NotifyAsyncSchemaConversionCheckpoint
//	                                                                and silence past the deadline (the late Complete is then counted in
//	                                                                CallbackHost.LateDropped, not blamed on the next sequence)
//	cb-duplicate (Complete)    ipam/3.17.1.1/Completed              NotifyAsyncSchemaConversionComplete(exception=nil)
//	cb-reorder (Start)         ipam/3.17.1.1/CallbackInitialized    NotifyAsyncSchemaConversionCheckpoint
//	cb-unknown-session         ipam/callback/unknown-session        a callback to an unknown session path
//	cb-after-end               ipam/3.17.1.1/Completed              NotifyAsyncSchemaConversionCheckpoint
//	cb-flood (10,000 Starts)   ipam/3.17.1.1/InProgress|Completed   NotifyAsyncSchemaConversionStart|Complete…, within ms; meanwhile the host
//	                                                                answers other sessions in < 3s, counts and drops the copies that outlive
//	                                                                the session (LateDropped), keeps strays <= MaxEvents, live heap flat
//	cb-invalid                 ipam/callback/malformed              malformed: soap: not XML: XML syntax error on line 1: unexpected EOF
//	cb-soap11                  ipam/callback/malformed              bad-content-type: Content-Type text/xml is SOAP 1.1, want application/soap+xml
//	cb-not-soap                ipam/callback/malformed              malformed: soap: root element is not a SOAP 1.2 Envelope: root element is html
//	cb-content-type            ipam/callback/malformed              bad-content-type: Content-Type text/plain, want application/soap+xml
//	cb-huge (50 MB)            ipam/callback/malformed              too-large: soap: message too large: more than 1048576 bytes; < 10 MB allocated
//	cb-deep (100k)             ipam/callback/malformed              malformed: soap: document nested too deeply: more than 64 nested elements (at byte 455)
//
// cb-after-end with its Checkpoint 600ms after the Complete (past the
// settle window) is blamed on no sequence and reported as a run-level
// warning of the target. Once the stray list is full, a callback to an
// unknown session is still reported (the runner counts strays, kept or
// refused). MaxConns idle keep-alive connections do not starve the
// callback host.

import (
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/chaos"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/soap"
	"github.com/specgate/specgate/models/ipam"
)

func TestMain(m *testing.M) {
	if spec, ok := os.LookupEnv(childEnv); ok {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// vdiCase is one VDI misbehaviour, selected on vdi.GetCommand (the last
// step of vdiFaultSeq), and the report it must produce: the kind, and the
// whole Detail over exec and over tcp.
type vdiCase struct {
	mode   string
	kind   string
	exec   string
	tcp    string
	within time.Duration // bound on the faulty replay
}

const (
	hangDetail  = "shim hang in vdi.GetCommand: no response before the call deadline"
	tcpMidLine  = "shim crash in vdi.GetCommand: connection closed by the shim in the middle of a response line"
	notJSONLine = `shim malformed in vdi.GetCommand: response is not valid JSON (invalid character 'c' looking for beginning of value); stdout must carry protocol lines only`
	tooDeepJSON = `shim malformed in vdi.GetCommand: response is not valid JSON (invalid character '[' exceeded max depth); stdout must carry protocol lines only`
	tooLongLine = "shim malformed in vdi.GetCommand: response line longer than 1 MiB"
)

var vdiCases = []vdiCase{
	{chaos.ModeHang, engine.KindHang, hangDetail, hangDetail, 3 * time.Second},
	{chaos.ModeLate + "+2s", engine.KindHang, hangDetail, hangDetail, 3 * time.Second},
	{chaos.ModeDrip, engine.KindHang, hangDetail, hangDetail, 3 * time.Second},
	{chaos.ModeClose, engine.KindCrash, "shim crash in vdi.GetCommand: shim stopped writing in the middle of a response line and did not exit (killed)", tcpMidLine, 5 * time.Second},
	{chaos.ModeExit, engine.KindCrash, "shim crash in vdi.GetCommand: shim exited before answering (exit status 70)", "shim crash in vdi.GetCommand: connection closed by the shim before answering", 3 * time.Second},
	{chaos.ModeExitPartial, engine.KindCrash, "shim crash in vdi.GetCommand: shim exited in the middle of a response line (exit status 70)", tcpMidLine, 3 * time.Second},
	{chaos.ModeInvalid, engine.KindMalformed, notJSONLine, notJSONLine, 3 * time.Second},
	{chaos.ModeHuge, engine.KindMalformed, tooLongLine, tooLongLine, 3 * time.Second},
	{chaos.ModeDeep, engine.KindMalformed, tooDeepJSON, tooDeepJSON, 3 * time.Second},
	{chaos.ModeWrongID, engine.KindMalformed, "shim malformed in vdi.GetCommand: response id 9 does not match request id 8", "shim malformed in vdi.GetCommand: response id 9 does not match request id 8", 3 * time.Second},
	{chaos.ModeRPCError, engine.KindMalformed, `shim rpc-error in vdi.GetCommand: JSON-RPC error -32603: "chaos: the implementation failed"`, `shim rpc-error in vdi.GetCommand: JSON-RPC error -32603: "chaos: the implementation failed"`, 3 * time.Second},
}

// soapResponseCase is one response misbehaviour and the report it must
// produce, as describe renders it (a regular expression).
type soapResponseCase struct {
	mode   string
	want   string
	exits  int64
	within time.Duration
}

const (
	soapHang   = `hang: no HTTP response before the call deadline`
	soapClosed = `crash: connection closed before a complete response`
)

var soapResponseCases = []soapResponseCase{
	{mode: "hang:IsIpamConfigured", want: soapHang, within: 3 * time.Second},
	{mode: "late:IsIpamConfigured+3s", want: soapHang, within: 3 * time.Second},
	{mode: "drip:IsIpamConfigured", want: soapHang, within: 3 * time.Second},
	{mode: "close:IsIpamConfigured", want: soapClosed, within: 2 * time.Second},
	{mode: "exit:IsIpamConfigured", want: soapClosed, exits: 1, within: 2 * time.Second},
	{mode: "exit-partial:IsIpamConfigured", want: soapClosed, exits: 1, within: 2 * time.Second},
	{mode: "invalid:IsIpamConfigured", want: `malformed: soap: not XML: .+`, within: 2 * time.Second},
	{mode: "huge:IsIpamConfigured", want: `malformed: soap: message too large: more than 1048576 bytes`, within: 3 * time.Second},
	{mode: "deep:IsIpamConfigured", want: `malformed: soap: document nested too deeply: more than 64 nested elements \(at byte \d+\)`, within: 3 * time.Second},
	{mode: "soap11:IsIpamConfigured", want: `malformed: ` + regexp.QuoteMeta(soap.ErrSOAP11.Error()), within: 2 * time.Second},
	{mode: "not-soap:IsIpamConfigured", want: `malformed: soap: root element is not a SOAP 1\.2 Envelope: root element is html`, within: 2 * time.Second},
	{mode: "content-type:IsIpamConfigured", want: `malformed: .*Content-Type.*`, within: 2 * time.Second},
}

// soapCallbackCase is one callback misbehaviour and the report it must
// produce (describe: "divergence [clause]: observed", a regular
// expression) at the step matching action.
type soapCallbackCase struct {
	mode   string
	want   string
	action string
	within time.Duration
}

func cbWant(clause, observed string) string {
	return `divergence \[` + regexp.QuoteMeta(clause) + `\]: ` + observed
}

const (
	atStart         = `StartAsyncSchemaConversion\(session=0\)`
	atStartOrSettle = `StartAsyncSchemaConversion\(session=0\)|settle\(\)`
)

var soapCallbackCases = []soapCallbackCase{
	{"cb-late:complete@1+2s", cbWant(ipam.ClQuiescence, `NotifyAsyncSchemaConversionStart, NotifyAsyncSchemaConversionCheckpoint and silence past the deadline`), atStart, 3 * time.Second},
	{"cb-duplicate:complete@1", cbWant(ipam.ClSchemaCBDone, `NotifyAsyncSchemaConversionComplete\(exception=nil\)`), atStartOrSettle, 3 * time.Second},
	{"cb-reorder@1", cbWant(ipam.ClSchemaCBInit, `NotifyAsyncSchemaConversionCheckpoint`), atStart, 3 * time.Second},
	{"cb-unknown-session@1", cbWant(ipam.ClUnknownSession, `a callback to an unknown session path`), atStart, 3 * time.Second},
	{"cb-after-end@1", cbWant(ipam.ClSchemaCBDone, `NotifyAsyncSchemaConversionCheckpoint`), atStartOrSettle, 3 * time.Second},
	{"cb-invalid@1", cbWant(ipam.ClMalformed, `malformed: soap: not XML: .+`), atStart, 3 * time.Second},
	{"cb-soap11@1", cbWant(ipam.ClMalformed, `bad-content-type: Content-Type text/xml is SOAP 1\.1, want application/soap\+xml`), atStart, 3 * time.Second},
	{"cb-not-soap@1", cbWant(ipam.ClMalformed, `malformed: soap: root element is not a SOAP 1\.2 Envelope: root element is html`), atStart, 3 * time.Second},
	{"cb-content-type@1", cbWant(ipam.ClMalformed, `bad-content-type: Content-Type text/plain, want application/soap\+xml`), atStart, 3 * time.Second},
	{"cb-huge@1", cbWant(ipam.ClMalformed, `too-large: soap: message too large: more than 1048576 bytes`), atStart, 5 * time.Second},
	{"cb-deep@1", cbWant(ipam.ClMalformed, `malformed: soap: document nested too deeply: more than 64 nested elements \(at byte \d+\)`), atStart, 3 * time.Second},
}
