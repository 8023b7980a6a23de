package nmf

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

// unhex decodes a hex dump with arbitrary whitespace.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The 39-byte preamble captured from Mono's NetTcpBinding client
// (Mono 6.8, binary encoding, SecurityMode.None).
const monoPreambleBinary = `
00 01 00 01 02 02 1d 6e 65 74 2e 74 63 70 3a 2f
2f 31 32 37 2e 30 2e 30 2e 31 3a 38 38 30 39 2f
69 70 61 6d 03 08 0c`

// The text-encoding preamble captured from Mono 6.8 (CustomBinding with
// TextMessageEncoding and TcpTransport).
const monoPreambleText = `
00 01 00 01 02 02 1d 6e 65 74 2e 74 63 70 3a 2f
2f 31 32 37 2e 30 2e 30 2e 31 3a 38 38 31 31 2f
69 70 61 6d 03 03 0c`

func TestMB32SpecTable(t *testing.T) {
	// [MC-NMF] §2.2.2: the boundaries of each encoded length, plus the
	// sizes seen in the Mono 6.8 captures.
	cases := []struct {
		v    int
		want string
	}{
		{0x00, "00"}, {0x01, "01"}, {0x7F, "7f"},
		{0x80, "80 01"}, {0x3FFF, "ff 7f"},
		{0x4000, "80 80 01"}, {0x1FFFFF, "ff ff 7f"},
		{0x200000, "80 80 80 01"}, {0x0FFFFFFF, "ff ff ff 7f"},
		{0x10000000, "80 80 80 80 01"}, {0x7FFFFFFF, "ff ff ff ff 07"},
		{29, "1d"}, {320, "c0 02"}, {254, "fe 01"}, {283, "9b 02"}, {292, "a4 02"},
		{334, "ce 02"}, {317, "bd 02"}, {142, "8e 01"}, {700, "bc 05"}, {615, "e7 04"},
	}
	for _, c := range cases {
		want := unhex(t, c.want)
		got, err := AppendMB32(nil, c.v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("AppendMB32(%#x) = % x, %v; want % x", c.v, got, err, want)
		}
		v, n, err := DecodeMB32(append(want, 0xEE))
		if err != nil || v != c.v || n != len(want) {
			t.Errorf("DecodeMB32(% x) = %#x, %d, %v", want, v, n, err)
		}
		r := bytes.NewReader(append(want, 0xEE))
		v, err = ReadMB32(r)
		if err != nil || v != c.v || r.Len() != 1 {
			t.Errorf("ReadMB32(% x) = %#x, %v, left %d", want, v, err, r.Len())
		}
	}
	for _, v := range []int{-1, 0x80000000} {
		if _, err := AppendMB32(nil, v); err == nil {
			t.Errorf("AppendMB32(%#x) succeeded", v)
		}
	}
}

func TestMB32Malformed(t *testing.T) {
	cases := []struct {
		in, want string
		eof      bool
	}{
		{"", "truncated", true},
		{"80", "truncated", true},
		{"ff ff ff ff", "truncated", true},
		{"ff ff ff ff 08", "exceeds 31 bits", false},
		{"ff ff ff ff 80", "exceeds 31 bits", false},
		{"80 00", "non-minimal", false},
		{"ff 80 00", "non-minimal", false},
	}
	for _, c := range cases {
		in := unhex(t, c.in)
		_, _, err := DecodeMB32(in)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeMB32(% x) error = %v, want %q", in, err, c.want)
		}
		if c.eof != errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("DecodeMB32(% x): errors.Is(io.ErrUnexpectedEOF) = %v", in, !c.eof)
		}
		if _, err := ReadMB32(bytes.NewReader(in)); err == nil {
			t.Errorf("ReadMB32(% x) succeeded", in)
		}
	}
}

func TestWritePreambleMonoCaptures(t *testing.T) {
	for _, c := range []struct {
		dump, via string
		enc       byte
	}{
		{monoPreambleBinary, "net.tcp://127.0.0.1:8809/ipam", EncodingBinarySession},
		{monoPreambleText, "net.tcp://127.0.0.1:8811/ipam", EncodingSOAP12UTF8},
	} {
		want := unhex(t, c.dump)
		var b bytes.Buffer
		if err := WritePreamble(&b, c.via, c.enc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Fatalf("WritePreamble(%q, %#x) =\n% x\nwant (%d bytes)\n% x", c.via, c.enc, b.Bytes(), len(want), want)
		}
		if c.enc == EncodingBinarySession && len(want) != 39 {
			t.Fatalf("capture has %d bytes, want 39", len(want))
		}
		r := bytes.NewReader(want)
		p, err := ReadPreamble(r)
		if err != nil {
			t.Fatal(err)
		}
		wantP := Preamble{Major: 1, Minor: 0, Mode: ModeDuplex, Via: c.via, Encoding: c.enc}
		if p != wantP || r.Len() != 0 {
			t.Fatalf("ReadPreamble = %+v (left %d), want %+v", p, r.Len(), wantP)
		}
	}
}

func TestPreambleRecordByRecord(t *testing.T) {
	r := bytes.NewReader(unhex(t, monoPreambleBinary))
	want := []Record{
		VersionRecord{1, 0}, ModeRecord{ModeDuplex}, ViaRecord{"net.tcp://127.0.0.1:8809/ipam"},
		KnownEncodingRecord{EncodingBinarySession}, PreambleEndRecord{}, EndRecord{EOF: true},
	}
	for i, w := range want {
		rec, err := ReadRecord(r)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !reflect.DeepEqual(rec, w) {
			t.Fatalf("record %d = %#v, want %#v", i, rec, w)
		}
	}
}

// TestSpecExampleDuplex rebuilds the [MC-NMF] §4.1 / [MS-NMFTB] §4 duplex
// exchange (Via net.tcp://SampleServer/SampleApp/, version 1.0, Duplex,
// binary session encoding) from the record definitions of §2.2. The
// figures of §4.1 are images that are not in the repository, so the
// expected bytes here are derived from the field definitions, not copied
// from the figures.
func TestSpecExampleDuplex(t *testing.T) {
	const via = "net.tcp://SampleServer/SampleApp/"
	want := append(unhex(t, "00 01 00 01 02 02 21"), via...)
	want = append(want, 0x03, 0x08, 0x0c)
	var b bytes.Buffer
	if err := WritePreamble(&b, via, EncodingBinarySession); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("preamble\n% x\nwant\n% x", b.Bytes(), want)
	}
	b.Reset()
	if err := WritePreambleAck(&b); err != nil || !bytes.Equal(b.Bytes(), []byte{0x0b}) {
		t.Fatalf("PreambleAck = % x, %v", b.Bytes(), err)
	}
	b.Reset()
	if err := WriteEnd(&b); err != nil || !bytes.Equal(b.Bytes(), []byte{0x07}) {
		t.Fatalf("End = % x, %v", b.Bytes(), err)
	}
	b.Reset()
	payload := bytes.Repeat([]byte{0x56}, 320)
	if err := WriteSizedEnvelope(&b, payload); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes()[:3], []byte{0x06, 0xc0, 0x02}) || b.Len() != 323 {
		t.Fatalf("sized envelope header % x, len %d; want 06 c0 02 and 323 (Mono Initialize request)", b.Bytes()[:3], b.Len())
	}
	got, err := ReadEnvelope(&b, Limits{})
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("ReadEnvelope = %d bytes, %v", len(got), err)
	}
}

func TestReadPreambleAck(t *testing.T) {
	if err := ReadPreambleAck(bytes.NewReader([]byte{0x0b})); err != nil {
		t.Fatal(err)
	}
	err := ReadPreambleAck(bytes.NewReader(nil))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("closed stream: %v", err)
	}
	err = ReadPreambleAck(bytes.NewReader([]byte{0x0a}))
	if !errors.Is(err, ErrUnexpectedRecord) || !strings.Contains(err.Error(), "UpgradeResponseRecord") {
		t.Fatalf("upgrade response: %v", err)
	}
	var f bytes.Buffer
	if err := WriteFault(&f, FaultContentTypeInvalid); err != nil {
		t.Fatal(err)
	}
	err = ReadPreambleAck(&f)
	var fe *FaultError
	if !errors.As(err, &fe) || fe.Name != FaultContentTypeInvalid || !fe.Known() || !errors.Is(err, ErrFault) {
		t.Fatalf("fault: %#v", err)
	}
}

func TestFaultRecord(t *testing.T) {
	const uri = "http://schemas.microsoft.com/ws/2006/05/framing/faults/ContentTypeInvalid"
	want := append([]byte{0x08, byte(len(uri))}, uri...)
	var b bytes.Buffer
	if err := WriteFault(&b, FaultContentTypeInvalid); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("fault record\n% x\nwant\n% x", b.Bytes(), want)
	}
	rec, err := ReadRecord(bytes.NewReader(want))
	var fe *FaultError
	if rec != nil || !errors.As(err, &fe) {
		t.Fatalf("ReadRecord = %#v, %v", rec, err)
	}
	if fe.URI != uri || fe.Name != "ContentTypeInvalid" || !fe.Known() {
		t.Fatalf("%+v", fe)
	}
	if msg := err.Error(); !strings.Contains(msg, "ContentTypeInvalid") || !strings.Contains(msg, "encoding is not supported") {
		t.Fatalf("message %q", msg)
	}
	// A vendor fault outside the namespace.
	b.Reset()
	if err := WriteFault(&b, "urn:example:Broken\n"); err != nil {
		t.Fatal(err)
	}
	_, err = ReadEnvelope(&b, Limits{})
	if !errors.As(err, &fe) || fe.Name != "" || fe.Known() || strings.ContainsAny(err.Error(), "\n") {
		t.Fatalf("vendor fault: %v", err)
	}
	// Every §2.2.5 fault name is known.
	for name := range faultMeanings {
		if !newFaultError(FaultURI(name)).Known() {
			t.Errorf("%s not known", name)
		}
	}
}

func TestEndAndEOF(t *testing.T) {
	if _, err := ReadEnvelope(bytes.NewReader([]byte{0x07}), Limits{}); err != io.EOF {
		t.Fatalf("End record: %v", err)
	}
	if _, err := ReadEnvelope(bytes.NewReader(nil), Limits{}); err != io.EOF {
		t.Fatalf("EOF: %v", err)
	}
	rec, err := ReadRecord(bytes.NewReader([]byte{0x07}))
	if err != nil || rec != (EndRecord{}) {
		t.Fatalf("End: %#v %v", rec, err)
	}
	rec, err = ReadRecord(bytes.NewReader(nil))
	if err != nil || rec != (EndRecord{EOF: true}) {
		t.Fatalf("EOF: %#v %v", rec, err)
	}
	if _, err := ReadEnvelope(bytes.NewReader([]byte{0x0b}), Limits{}); !errors.Is(err, ErrUnexpectedRecord) {
		t.Fatalf("PreambleAck as message: %v", err)
	}
}

func TestReadRecordErrors(t *testing.T) {
	lim := Limits{MaxEnvelope: 1000, MaxVia: 10}
	cases := []struct {
		in   string
		is   error
		want string
	}{
		{"0d", ErrMalformed, "reserved record type 0x0d"},
		{"ff", ErrMalformed, "reserved record type 0xff"},
		{"06 00", ErrMalformed, "size 0"},
		{"06 e9 07", ErrTooLarge, "1001 bytes, limit 1000"},
		{"06 ff ff ff ff 07", ErrTooLarge, "limit 1000"},
		{"06 ff ff ff ff 0f", ErrMalformed, "31 bits"},
		{"06 80 00", ErrMalformed, "non-minimal"},
		{"06 05 01 02", io.ErrUnexpectedEOF, "SizedEnvelopeRecord"},
		{"06", io.ErrUnexpectedEOF, "size"},
		{"02 0b 6e 65 74", ErrTooLarge, "ViaRecord of 11 bytes, limit 10"},
		{"02 02 ff fe", ErrMalformed, "not UTF-8"},
		{"00 01", io.ErrUnexpectedEOF, "VersionRecord"},
		{"05 00", ErrMalformed, "without any data chunk"},
		{"05 02 61 62", io.ErrUnexpectedEOF, "UnsizedEnvelopeRecord"},
		{"05 e9 07", ErrTooLarge, "more than 1000"},
		{"08 00", ErrMalformed, "size 0"},
	}
	for _, c := range cases {
		rec, err := ReadRecordLimits(bytes.NewReader(unhex(t, c.in)), lim)
		if err == nil || !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadRecord(%s) = %#v, %v; want %v containing %q", c.in, rec, err, c.is, c.want)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	recs := []Record{
		VersionRecord{1, 0}, VersionRecord{2, 7}, ModeRecord{ModeSingletonUnsized}, ModeRecord{0x09},
		ViaRecord{"net.tcp://h/é"}, KnownEncodingRecord{0x03}, ExtensibleEncodingRecord{"application/soap+msbin1+gzip"},
		UnsizedEnvelopeRecord{Payload: []byte("abcdef"), ChunkSizes: []int{2, 1, 3}},
		SizedEnvelopeRecord{Payload: bytes.Repeat([]byte("x"), 200)}, EndRecord{},
		UpgradeRequestRecord{UpgradeNegotiate}, UpgradeResponseRecord{}, PreambleAckRecord{}, PreambleEndRecord{},
	}
	var all []byte
	for _, rec := range recs {
		var err error
		if all, err = AppendRecord(all, rec); err != nil {
			t.Fatal(err)
		}
	}
	r := bytes.NewReader(all)
	for _, want := range recs {
		got, err := ReadRecord(r)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, %v; want %#v", got, err, want)
		}
	}
	// Unsized with default chunking.
	b, err := AppendRecord(nil, UnsizedEnvelopeRecord{Payload: []byte("hi")})
	if err != nil || !bytes.Equal(b, unhex(t, "05 02 68 69 00")) {
		t.Fatalf("% x %v", b, err)
	}
	// Invalid records are refused.
	for _, rec := range []Record{
		ViaRecord{}, SizedEnvelopeRecord{}, FaultRecord{}, UpgradeRequestRecord{}, ExtensibleEncodingRecord{},
		UnsizedEnvelopeRecord{}, UnsizedEnvelopeRecord{Payload: []byte("ab"), ChunkSizes: []int{1}},
		UnsizedEnvelopeRecord{Payload: []byte("ab"), ChunkSizes: []int{0, 2}}, nil,
	} {
		if b, err := AppendRecord([]byte{1}, rec); err == nil || !bytes.Equal(b, []byte{1}) {
			t.Errorf("AppendRecord(%#v) = % x, %v", rec, b, err)
		}
	}
}

func TestReadPreambleErrors(t *testing.T) {
	via := "02 03 61 62 63"
	cases := []struct {
		in, fault string
		is        error
	}{
		{"00 02 00 01 02" + via + "03 08 0c", FaultUnsupportedVersion, nil},
		{"00 01 00 01 05" + via + "03 08 0c", FaultUnsupportedMode, nil},
		{"00 01 00 01 02" + via + "03 09 0c", FaultContentTypeInvalid, nil},
		{"00 01 00 01 02 02 81 10", FaultViaTooLong, ErrTooLarge},
		{"00 01 00 01 02" + via + "04 82 02", FaultContentTypeTooLong, ErrTooLarge},
		{"00 01 00 01 02" + via + "03 08 06 01 00", FaultInvalidRecordSequence, ErrUnexpectedRecord},
		{"01 02", FaultInvalidRecordSequence, ErrUnexpectedRecord},
		{"00 01 00 02 03 61 62 63", FaultInvalidRecordSequence, ErrUnexpectedRecord},
		{"00 01 00 01 02" + via, "", io.ErrUnexpectedEOF},
		{"00 01 00 01 02 02 03 61", "", io.ErrUnexpectedEOF},
		{"0e", FaultInvalidRecordSequence, ErrMalformed},
		// The upgrade probe a SecurityMode.Transport client sends (Upgrade
		// Request for application/negotiate).
		{"00 01 00 01 02" + via + "03 08 09 15" + hex.EncodeToString([]byte(UpgradeNegotiate)), FaultUpgradeInvalid, ErrUpgradeRequested},
		{"00 01 00 01 03" + via + "03 08 09 01 61", FaultInvalidRecordSequence, ErrUnexpectedRecord},
	}
	for _, c := range cases {
		p, err := ReadPreamble(bytes.NewReader(unhex(t, c.in)))
		var pe *PreambleError
		if !errors.As(err, &pe) || pe.Fault != c.fault || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("ReadPreamble(%s) = %+v, %v; want fault %q, %v", c.in, p, err, c.fault, c.is)
		}
		if c.is == ErrUpgradeRequested && p.Upgrade != UpgradeNegotiate {
			t.Errorf("Upgrade = %q", p.Upgrade)
		}
	}
	// A fault from the initiator is passed through.
	in := append(unhex(t, "00 01 00"), 0x08, 0x01, 'x')
	if _, err := ReadPreamble(bytes.NewReader(in)); !errors.Is(err, ErrFault) {
		t.Errorf("initiator fault: %v", err)
	}
	// Singleton-Sized has no Preamble End; Simplex and an extensible
	// encoding are accepted.
	p, err := ReadPreamble(bytes.NewReader(unhex(t, "00 01 00 01 04"+via+"03 07 ff")))
	if err != nil || p.Mode != ModeSingletonSized || p.Encoding != EncodingBinary {
		t.Errorf("singleton sized: %+v %v", p, err)
	}
	p, err = ReadPreamble(bytes.NewReader(unhex(t, "00 01 05 01 03"+via+"04 03 61 2f 62 0c")))
	if err != nil || p.Mode != ModeSimplex || p.ContentType != "a/b" || p.Minor != 5 {
		t.Errorf("simplex: %+v %v", p, err)
	}
}

// TestDuplexSession runs both roles over an in-memory connection the way
// the Mono capture shows them: the initiator ends with an End record, the
// receiver just closes.
func TestDuplexSession(t *testing.T) {
	client, server := net.Pipe()
	deadline := time.Now().Add(5 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		p, err := ReadPreamble(server)
		if err != nil {
			done <- err
			return
		}
		if p.Via != "net.tcp://127.0.0.1:8809/ipam" || p.Encoding != EncodingBinarySession {
			done <- errors.New("bad preamble")
			return
		}
		if err := WritePreambleAck(server); err != nil {
			done <- err
			return
		}
		for {
			msg, err := ReadEnvelope(server, Limits{})
			if err == io.EOF {
				done <- nil
				return
			}
			if err != nil {
				done <- err
				return
			}
			if err := WriteSizedEnvelope(server, append([]byte("re:"), msg...)); err != nil {
				done <- err
				return
			}
		}
	}()
	if err := WritePreamble(client, "net.tcp://127.0.0.1:8809/ipam", EncodingBinarySession); err != nil {
		t.Fatal(err)
	}
	if err := ReadPreambleAck(client); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"one", strings.Repeat("two", 100)} {
		if err := WriteSizedEnvelope(client, []byte(m)); err != nil {
			t.Fatal(err)
		}
		got, err := ReadEnvelope(client, Limits{})
		if err != nil || string(got) != "re:"+m {
			t.Fatalf("reply %q, %v", got, err)
		}
	}
	if err := WriteEnd(client); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvelope(client, Limits{}); err != io.EOF {
		t.Fatalf("after End: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
