package vdi

import (
	"fmt"
	"strconv"
	"strings"
)

// HR is a VDI status code (an HRESULT). Values are those of vdierror.h:
// VD_ERROR(code) = MAKE_HRESULT(SEVERITY_ERROR, 0x77, code).
type HR uint32

// Status codes from vdierror.h (SQL Server samples, samples/features/sqlvdi
// and sqlvdi-linux; the same values appear in Bareos's copy).
const (
	NOERROR           HR = 0x00000000
	VD_E_NOTOPEN      HR = 0x80770002
	VD_E_TIMEOUT      HR = 0x80770003
	VD_E_ABORT        HR = 0x80770004
	VD_E_SECURITY     HR = 0x80770005
	VD_E_INVALID      HR = 0x80770006
	VD_E_INSTANCENAME HR = 0x80770007
	VD_E_NOTSUPPORTED HR = 0x80770009
	VD_E_MEMORY       HR = 0x8077000A
	VD_E_UNEXPECTED   HR = 0x8077000B
	VD_E_PROTOCOL     HR = 0x8077000C
	VD_E_OPEN         HR = 0x8077000D
	VD_E_CLOSE        HR = 0x8077000E
	VD_E_BUSY         HR = 0x8077000F
)

var hrNames = map[HR]string{
	NOERROR:           "NOERROR",
	VD_E_NOTOPEN:      "VD_E_NOTOPEN",
	VD_E_TIMEOUT:      "VD_E_TIMEOUT",
	VD_E_ABORT:        "VD_E_ABORT",
	VD_E_SECURITY:     "VD_E_SECURITY",
	VD_E_INVALID:      "VD_E_INVALID",
	VD_E_INSTANCENAME: "VD_E_INSTANCE_NAME",
	VD_E_NOTSUPPORTED: "VD_E_NOTSUPPORTED",
	VD_E_MEMORY:       "VD_E_MEMORY",
	VD_E_UNEXPECTED:   "VD_E_UNEXPECTED",
	VD_E_PROTOCOL:     "VD_E_PROTOCOL",
	VD_E_OPEN:         "VD_E_OPEN",
	VD_E_CLOSE:        "VD_E_CLOSE",
	VD_E_BUSY:         "VD_E_BUSY",
}

// String returns the vdierror.h name, or the hex value for unknown codes.
func (h HR) String() string {
	if n, ok := hrNames[h]; ok {
		return n
	}
	return h.Hex()
}

// Hex renders the code the way the shim protocol carries it: "0x8077000C".
func (h HR) Hex() string { return fmt.Sprintf("0x%08X", uint32(h)) }

// ParseHR parses the wire form "0x8077000C" (case-insensitive hex with the
// 0x prefix) or a vdierror.h name.
func ParseHR(s string) (HR, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil || len(s) < 3 || len(s) > 10 {
			return 0, fmt.Errorf("bad HRESULT %q: want 0x followed by up to 8 hex digits", s)
		}
		return HR(v), nil
	}
	for h, n := range hrNames {
		if n == s {
			return h, nil
		}
	}
	return 0, fmt.Errorf("bad HRESULT %q: want 0x-prefixed hex such as \"0x8077000C\"", s)
}

// Command codes (enum VDCommands of vdi.h) used by the model.
const (
	VDC_Read  = 1
	VDC_Write = 2
	VDC_Flush = 12
)
