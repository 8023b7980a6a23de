package soap

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const bindingDoc = "../../docs/ipam-soap-binding.md"

// TestBindingDocExamples keeps docs/ipam-soap-binding.md honest: every
// ```xml block is well-formed (envelopes parse, callbacks classify and
// parse, fault bodies parse), and every file of testdata/exchange appears
// in it verbatim.
func TestBindingDocExamples(t *testing.T) {
	raw, err := os.ReadFile(bindingDoc)
	if err != nil {
		t.Fatalf("binding document missing: %v", err)
	}
	doc := string(raw)
	blocks := regexp.MustCompile("(?s)```xml\n(.*?)```").FindAllStringSubmatch(doc, -1)
	if len(blocks) < 9 {
		t.Fatalf("only %d xml blocks in the document", len(blocks))
	}
	for i, m := range blocks {
		b := []byte(m[1])
		if !strings.HasPrefix(strings.TrimSpace(m[1]), "<s:Envelope") {
			if _, err := ParseIpamException(b); err != nil {
				t.Errorf("block %d: %v", i, err)
			}
			continue
		}
		env, err := Parse(b, Limits{})
		if err != nil {
			t.Errorf("block %d: %v", i, err)
			continue
		}
		if _, ok := ClassifyCallback(env.Header.Action); ok {
			if cb, err := ParseCallbackBody(env); err != nil || len(cb.Deviations) > 0 {
				t.Errorf("block %d: %v %v", i, err, cb.Deviations)
			}
		}
		if env.Body.IsFault() {
			f, err := ParseFault(env.Body.Inner)
			if err != nil {
				t.Errorf("block %d: %v", i, err)
			} else if e, err := f.IpamException(); err != nil || !e.IsSet() {
				t.Errorf("block %d: fault detail: %v %v", i, e, err)
			}
		}
	}
	files, _ := filepath.Glob("testdata/exchange/*.xml")
	for _, f := range files {
		if !strings.Contains(doc, strings.TrimRight(string(readFile(t, f)), "\n")) {
			t.Errorf("%s is not quoted verbatim in %s", f, bindingDoc)
		}
	}
	// Every Action constant the binding documents is spelled out.
	for _, a := range []string{
		ActionIsSchemaConversionRequired, ActionStartAsyncSchemaConversion, ActionKeepalive,
	} {
		short := strings.TrimPrefix(a, actionBase)
		if !strings.Contains(doc, short) {
			t.Errorf("document does not mention %s", short)
		}
	}
}
