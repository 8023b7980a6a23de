package nbfx

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// The formatting here follows what .NET's XmlConvert produces when a WCF
// reader turns a typed text record into a string, so that the textual XML
// says what a WCF service would see.

// formatGUID formats 16 bytes in .NET Guid.ToByteArray order (Data1-3
// little-endian) as the lower-case "D" format.
func formatGUID(b []byte) string {
	var o [16]byte
	o[0], o[1], o[2], o[3] = b[3], b[2], b[1], b[0]
	o[4], o[5] = b[5], b[4]
	o[6], o[7] = b[7], b[6]
	copy(o[8:], b[8:16])
	h := hex.EncodeToString(o[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// parseGUID is the inverse of formatGUID for the canonical lower-case
// form only (so that formatGUID(parseGUID(s)) == s).
func parseGUID(s string) ([]byte, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '-' && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return nil, false
		}
	}
	raw, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	if err != nil || len(raw) != 16 {
		return nil, false
	}
	b := make([]byte, 16)
	b[0], b[1], b[2], b[3] = raw[3], raw[2], raw[1], raw[0]
	b[4], b[5] = raw[5], raw[4]
	b[6], b[7] = raw[7], raw[6]
	copy(b[8:], raw[8:])
	return b, true
}

// formatFloat formats like XmlConvert.ToString(double/float): INF, -INF,
// NaN, otherwise the shortest round-tripping digits, positional for
// decimal exponents in [-4, 15) and scientific ("1E+15", "1E-05")
// outside.
func formatFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "INF"
	case math.IsInf(v, -1):
		return "-INF"
	case v == 0:
		if math.Signbit(v) {
			return "-0"
		}
		return "0"
	}
	e := strconv.FormatFloat(v, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp >= -4 && exp < 15 {
		return strconv.FormatFloat(v, 'f', -1, bits)
	}
	mant, ex, _ := strings.Cut(e, "e")
	sign := ex[0]
	ex = strings.TrimLeft(ex[1:], "0")
	for len(ex) < 2 {
		ex = "0" + ex
	}
	return mant + "E" + string(sign) + ex
}

// formatDecimal formats a 16-byte [MC-NBFX] DecimalText value (the
// MS-OAUT DECIMAL layout: 2 reserved bytes, scale, sign, Hi32, Lo64, all
// little-endian) keeping the trailing zeros the scale implies, as
// decimal.ToString does.
func formatDecimal(b []byte) (string, error) {
	scale, sign := int(b[2]), b[3]
	if scale > 28 {
		return "", fmt.Errorf("decimal scale %d exceeds 28", scale)
	}
	if sign != 0 && sign != 0x80 {
		return "", fmt.Errorf("decimal sign byte %#02x is neither 0x00 nor 0x80", sign)
	}
	hi := binary.LittleEndian.Uint32(b[4:8])
	lo := binary.LittleEndian.Uint64(b[8:16])
	n := new(big.Int).SetUint64(uint64(hi))
	n.Lsh(n, 64)
	n.Or(n, new(big.Int).SetUint64(lo))
	digits := n.String()
	if scale > 0 {
		for len(digits) <= scale {
			digits = "0" + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if sign == 0x80 && n.Sign() != 0 {
		digits = "-" + digits
	}
	return digits, nil
}

const (
	ticksPerSecond = 10_000_000
	ticksPerDay    = 86400 * ticksPerSecond
	maxDateTicks   = 3155378975999999999 // DateTime.MaxValue.Ticks
)

// formatDateTime formats a [MC-NBFX] DateTimeText value (.NET
// DateTime.ToBinary: ticks since 0001-01-01 in the low 62 bits, the kind
// in the top two) as XmlConvert does in RoundtripKind mode: fraction
// digits trimmed, "Z" for UTC. Local times (kind 2) are written without
// an offset: the sender's offset is not on the wire.
func formatDateTime(v uint64) (string, error) {
	kind := v >> 62
	ticks := int64(v & (1<<62 - 1))
	if kind == 3 {
		return "", fmt.Errorf("date-time kind 3 is not defined")
	}
	if ticks > maxDateTicks {
		return "", fmt.Errorf("date-time ticks %d exceed DateTime.MaxValue", ticks)
	}
	days, rem := ticks/ticksPerDay, ticks%ticksPerDay
	t := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days)).Add(time.Duration(rem/ticksPerSecond) * time.Second)
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
	if frac := rem % ticksPerSecond; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%07d", frac), "0")
	}
	if kind == 1 {
		s += "Z"
	}
	return s, nil
}

// formatTimeSpan formats TimeSpan ticks as XmlConvert.ToString(TimeSpan)
// (an xs:duration such as "PT1H2M3.5S", "-P1D", "PT0S").
func formatTimeSpan(ticks int64) string {
	var b strings.Builder
	u := uint64(ticks)
	if ticks < 0 {
		b.WriteByte('-')
		u = uint64(-(ticks + 1)) + 1
	}
	b.WriteByte('P')
	days := u / ticksPerDay
	rem := u % ticksPerDay
	if days != 0 {
		b.WriteString(strconv.FormatUint(days, 10) + "D")
	}
	if rem != 0 {
		b.WriteByte('T')
		h := rem / (3600 * ticksPerSecond)
		m := rem / (60 * ticksPerSecond) % 60
		sec := rem / ticksPerSecond % 60
		frac := rem % ticksPerSecond
		if h != 0 {
			b.WriteString(strconv.FormatUint(h, 10) + "H")
		}
		if m != 0 {
			b.WriteString(strconv.FormatUint(m, 10) + "M")
		}
		if sec != 0 || frac != 0 {
			b.WriteString(strconv.FormatUint(sec, 10))
			if frac != 0 {
				// .NET prints nanoseconds (ticks*100) with trailing
				// zeros trimmed.
				b.WriteString("." + strings.TrimRight(fmt.Sprintf("%09d", frac*100), "0"))
			}
			b.WriteByte('S')
		}
	}
	if b.String() == "P" || b.String() == "-P" {
		return b.String() + "T0S"
	}
	return b.String()
}
