package nnsinterop

import (
	"context"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/ipamref"
	"github.com/specgate/specgate/fixtures/ipamtcp"
	"github.com/specgate/specgate/fixtures/nnsfront"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/internal/nettcp/duplex"
	"github.com/specgate/specgate/internal/nettcp/nns"
	"github.com/specgate/specgate/models"
)

// secureFront serves MS-NNS (SPNEGO-NTLM, EncryptAndSign, the project's
// own acceptor in fixtures/nnsfront) on loopback in front of a plain
// net.tcp backend. The GSSAPI peer is Python and would measure itself.
func secureFront(t testing.TB, backend string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go nnsfront.Serve(l, nnsfront.Options{Backend: backend, Domain: domain, User: user, Password: password, Level: nns.EncryptAndSign})
	return l.Addr().String()
}

// plainFront is the same hop without security: a byte pump to the
// backend, so that the benchmark compares the protocol, not the hop.
func plainFront(t testing.TB, backend string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				go func() { _, _ = io.Copy(b, c); b.(*net.TCPConn).CloseWrite() }()
				_, _ = io.Copy(c, b)
			}()
		}
	}()
	return l.Addr().String()
}

// runSteps runs checks IPAM sessions against the reference through tr and
// returns the steps per second.
func runSteps(b *testing.B, info ipamtcp.Info, tr *duplex.Transport, checks int) float64 {
	b.Helper()
	tgt, err := runnerTarget(info, tr)
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.New(ipamModel(), tgt, engine.Config{Model: "ipam", Profile: models.ProfileDocumented, Seed: 0x5eed, Checks: checks, Steps: 12, MaxFailures: 1})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	res, err := eng.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Failures) > 0 {
		b.Fatalf("divergence: %s", res.Failures[0].Divergence.Message())
	}
	return float64(res.Steps) / time.Since(start).Seconds()
}

// BenchmarkNetTCPEncryptAndSign compares the IPAM model's steps/s over
// plain net.tcp with the same run through MS-NNS SPNEGO-NTLM
// EncryptAndSign (specgate's client, the project's acceptor as a front),
// against the same reference in the same run, both through one loopback
// hop in front of the reference. Every IPAM session is a connection, so
// the secure rate pays a full NTLM handshake per session. It reports both
// rates and their ratio (the target is at least 0.8).
func BenchmarkNetTCPEncryptAndSign(b *testing.B) {
	info := serveIPAM(b, ipamtcp.Options{Ref: ipamref.Options{Profile: models.ProfileDocumented}})
	u, _ := url.Parse(info.Endpoint)
	front := secureFront(b, info.Addr.String())
	via := "net.tcp://" + front + u.Path
	plainVia := "net.tcp://" + plainFront(b, info.Addr.String()) + u.Path
	checks := 100
	var plain, secure float64
	for b.Loop() {
		trPlain, err := duplex.New(duplex.Options{Endpoint: info.Endpoint, Via: plainVia, Timeout: 10 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		plain = runSteps(b, info, trPlain, checks)
		_ = trPlain.Close()
		d := &nns.Dialer{Via: via, Encoding: duplex.EncodingBinary, Config: nns.Config{Level: nns.EncryptAndSign},
			NewContext: func() (nns.SecurityContext, error) { return spnegoContext(password, nns.EncryptAndSign), nil }}
		trSec, err := duplex.New(duplex.Options{Endpoint: info.Endpoint, Via: via, Timeout: 10 * time.Second, Dial: d.DialContext})
		if err != nil {
			b.Fatal(err)
		}
		secure = runSteps(b, info, trSec, checks)
		_ = trSec.Close()
	}
	b.ReportMetric(plain, "plain-steps/s")
	b.ReportMetric(secure, "nns-steps/s")
	b.ReportMetric(secure/plain, "ratio")
}
