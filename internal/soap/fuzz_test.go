package soap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addFileSeeds adds every XML file under testdata/spec and
// testdata/exchange (the seed corpora in testdata/fuzz are picked up by
// the fuzzing engine itself).
func addFileSeeds(f *testing.F) {
	for _, dir := range []string{"testdata/spec", "testdata/exchange"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

func FuzzParseEnvelope(f *testing.F) {
	addFileSeeds(f)
	f.Add(deepDoc(100))
	f.Add(RawEnvelope(NSSoap11, "", ""))
	f.Add(NewRequest(ActionStartAsyncProvisioning, "http://x/", "http://y/cb/1", StartAsyncProvisioningBody()).Marshal())
	lim := Limits{MaxBytes: 64 << 10, MaxDepth: 32}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Parse(data, lim)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		// Whatever parsed re-marshals into something that parses to the
		// same header fields and body name (the Inner is self-contained).
		out := env.Marshal()
		env2, err := Parse(out, Limits{MaxBytes: int64(len(out)) + 1, MaxDepth: lim.MaxDepth + 2})
		if err != nil {
			t.Fatalf("re-parse failed: %v\ninput: %q\nmarshaled: %q", err, data, out)
		}
		h1, h2 := env.Header, env2.Header
		if h1.Action != h2.Action || h1.ActionMustUnderstand != h2.ActionMustUnderstand ||
			h1.MessageID != h2.MessageID || h1.RelatesTo != h2.RelatesTo || h1.To != h2.To ||
			h1.ToMustUnderstand != h2.ToMustUnderstand || h1.ReplyTo != h2.ReplyTo || h1.FaultTo != h2.FaultTo ||
			len(h1.Unknown) != len(h2.Unknown) {
			t.Fatalf("header changed:\n%+v\n%+v", h1, h2)
		}
		if env.Body.Name != env2.Body.Name {
			t.Fatalf("body name changed: %v -> %v", env.Body.Name, env2.Body.Name)
		}
		// The IPAM parsers never panic on whatever parsed.
		_, _ = ParseCallbackBody(env)
		_, _ = ParseBoolResponse(env, "IsIpamConfiguredResult")
		_, _ = ParseInitializeParameters(env)
		if env.Body.IsFault() {
			if fl, err := ParseFault(env.Body.Inner); err == nil {
				_, _ = fl.IpamException()
			}
		}
	})
}

func FuzzParseFault(f *testing.F) {
	f.Add(BuildFault(CodeSender, "r", MarshalIpamException(&IpamException{ExceptionID: "A", Inner: &IpamException{ExceptionID: "B"}})))
	f.Add(BuildFault(CodeReceiver, "r", nil, SubcodeActionNotSupported))
	f.Add((&Fault{}).Marshal())
	for _, file := range []string{"testdata/spec/2.2.2.1-fault.xml", "testdata/exchange/8-fault-response.xml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if env, err := Parse(b, Limits{}); err == nil {
			f.Add(env.Body.Inner)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := ParseFaultLimits(data, Limits{MaxBytes: 64 << 10, MaxDepth: 32})
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		if strings.ContainsAny(fl.Error(), "\r\n") {
			t.Fatalf("multi-line fault text: %q", fl.Error())
		}
		if e, err := fl.IpamException(); err == nil && e != nil {
			_ = e.Error()
			_ = MarshalIpamException(e)
		}
		// Round trip: what parsed marshals into an equivalent fault.
		out := fl.Marshal()
		g, err := ParseFaultLimits(out, Limits{MaxBytes: int64(len(out)) + 1, MaxDepth: 64})
		if err != nil {
			t.Fatalf("re-parse failed: %v\ninput: %q\nmarshaled: %q", err, data, out)
		}
		if g.Code != fl.Code || len(g.Subcodes) != len(fl.Subcodes) || len(g.Reasons) != len(fl.Reasons) ||
			g.Reason() != fl.Reason() || g.HasDetail != fl.HasDetail || g.Node != fl.Node || g.Role != fl.Role {
			t.Fatalf("fault changed:\n%+v\n%+v", fl, g)
		}
		for i := range g.Subcodes {
			if g.Subcodes[i] != fl.Subcodes[i] {
				t.Fatalf("subcode %d changed: %v -> %v", i, fl.Subcodes[i], g.Subcodes[i])
			}
		}
	})
}
