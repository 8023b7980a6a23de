// Package jsonenc encodes the JSON files specgate writes for people and
// tools to read (failure files, report.json, baselines): indented, with a
// final newline, and without HTML escaping, so an expected outcome such as
// "VD_E_INVALID -> Active" reads as written instead of "-\u003e". Only the
// HTML report escapes for HTML, through html/template.
package jsonenc

import (
	"bytes"
	"encoding/json"
)

// Indent returns v as two-space indented JSON with a final newline and
// '<', '>' and '&' left as they are.
func Indent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
