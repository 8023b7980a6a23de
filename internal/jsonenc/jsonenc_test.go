package jsonenc

import (
	"bytes"
	"testing"
)

func TestIndentKeepsArrowsAndAmpersands(t *testing.T) {
	data, err := Indent(map[string]string{"expected": "VD_E_INVALID -> Active", "url": "http://h/c?a=1&b=<2>"})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"expected\": \"VD_E_INVALID -> Active\",\n  \"url\": \"http://h/c?a=1&b=<2>\"\n}\n"
	if string(data) != want {
		t.Fatalf("got %q, want %q", data, want)
	}
	if bytes.Contains(data, []byte(`\u00`)) {
		t.Fatalf("escaped: %s", data)
	}
}
