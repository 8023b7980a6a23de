package nnsinterop

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/nettcp/nns"
)

// TestCaptureDecodesInTshark captures one NTLM EncryptAndSign session
// with the GSSAPI peer on loopback and has tshark's own MC-NMF and MS-NNS
// dissectors decode it: the handshake messages must be recognised (with
// the NTLMSSP messages inside) and no packet may be malformed. tshark does
// not decrypt data messages; the peer verified those.
func TestCaptureDecodesInTshark(t *testing.T) {
	requirePeer(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		msg := "NO TSHARK: tshark is not on PATH; install it with " + installCmd
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true, so this is a failure, not a skip)")
		}
		t.Skip(msg)
	}
	p := startPeer(t, "--mech", "ntlm")
	_, port, _ := net.SplitHostPort(p.addr)
	// tshark decodes live and prints each packet's summary as it sees it
	// (-l). A UDP port of our own marks the capture's start and end: once
	// a marker datagram shows up the filter is live, and once the closing
	// marker shows up every packet before it has been printed.
	marker, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	_, mport, _ := net.SplitHostPort(marker.LocalAddr().String())
	capture := exec.Command("tshark", "-l", "-i", "lo", "-f", "tcp port "+port+" or udp port "+mport, "-d", "tcp.port=="+port+",mc-nmf")
	stdout, err := capture.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = capture.Process.Signal(os.Interrupt)
			_ = capture.Wait()
		}
	}
	t.Cleanup(stop)
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	send := func(tag string) {
		c, err := net.Dial("udp", marker.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte(tag))
	}
	// await sends the marker until tshark shows a UDP packet, keeping the
	// other lines; the test's own -timeout bounds it.
	var seen []string
	await := func(tag string) {
		for {
			send(tag)
			select {
			case l, ok := <-lines:
				if !ok {
					t.Skip("tshark stopped before capturing on lo (no capture permission?)")
				}
				if strings.Contains(l, " UDP ") {
					// Markers differ in length, so a late start marker is
					// not taken for the end marker.
					if strings.HasSuffix(l, fmt.Sprintf("Len=%d", len(tag))) {
						return
					}
					continue
				}
				seen = append(seen, l)
			case <-time.After(200 * time.Millisecond): // resend; not a deadline
			}
		}
	}
	await("start")

	c, err := nns.Open(dial(t, p), via(p), 0x08, ntlmContext(password, nns.EncryptAndSign), level(nns.EncryptAndSign))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	roundTrip(t, c, []byte("<s:Envelope>captured</s:Envelope>"))
	if s, rc := p.wait(t); rc != 0 || !s.OK {
		t.Fatalf("peer rc=%d summary %+v", rc, s)
	}
	await("end-of-capture")
	stop()

	all := strings.Join(seen, "\n")
	t.Logf("tshark:\n%s", all)
	for _, want := range []string{"Upgrade Request", "Upgrade Response", "NTLMSSP_NEGOTIATE", "NTLMSSP_CHALLENGE", "NTLMSSP_AUTH", "Handshake Done", "MS-NNS"} {
		if !strings.Contains(all, want) {
			t.Errorf("tshark's decode has no %q", want)
		}
	}
	if strings.Contains(all, "Malformed") {
		t.Fatal("tshark reports malformed packets")
	}
}
