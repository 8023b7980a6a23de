package redact

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactsEverywhere(t *testing.T) {
	r := New("Bearer s3cr3t-token", "")
	in := "fault: header was Authorization: Bearer s3cr3t-token; token s3cr3t-token"
	got := r.String(in)
	if strings.Contains(got, "s3cr3t") || strings.Count(got, Mask) != 2 {
		t.Fatalf("String = %q", got)
	}
	var b bytes.Buffer
	w := r.Writer(&b)
	w.Write([]byte("line one s3cr3t-"))
	w.Write([]byte("token end\nnext\n"))
	if strings.Contains(b.String(), "s3cr3t") || !strings.Contains(b.String(), Mask+" end") {
		t.Fatalf("Writer = %q", b.String())
	}
	var nilR *Redactor
	if nilR.String("x") != "x" {
		t.Fatal("nil redactor changed the text")
	}
}
