package soap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func startHost(t *testing.T, lim Limits) *CallbackHost {
	t.Helper()
	h, err := NewCallbackHost("", lim)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func post(t *testing.T, url, ct string, body []byte) int {
	t.Helper()
	resp, err := http.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func sendCallback(t *testing.T, c *Client, url, action string, body []byte) *Response {
	t.Helper()
	resp, err := c.Send(context.Background(), url, NewCallback(action, url, body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestCallbackHostSessionOrdering(t *testing.T) {
	h := startHost(t, Limits{})
	id, url := h.NewSession()
	if len(id) != 32 || !strings.HasSuffix(url, "/cb/"+id) || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("session %q %q", id, url)
	}
	id2, url2 := h.NewSession()
	if id == id2 || url == url2 {
		t.Fatal("sessions collide")
	}
	c := &Client{}
	resp := sendCallback(t, c, url, ActionNotifyAsyncSchemaConversionStart, NotifyStartBody(FamilySchema))
	if resp.Status != http.StatusAccepted || len(resp.Raw) != 0 {
		t.Fatalf("%+v", resp)
	}
	for range 3 {
		sendCallback(t, c, url, ActionCallbackNotifyAsyncSchemaConversionCheckpoint, NotifyCheckpointBody(FamilySchema, nil))
	}
	sendCallback(t, c, url, ActionNotifyAsyncSchemaConversionComplete, NotifyCompleteBody(FamilySchema, nil))

	evs := h.Events(id)
	if len(evs) != 5 {
		t.Fatalf("%d events", len(evs))
	}
	kinds := []string{KindStart, KindCheckpoint, KindCheckpoint, KindCheckpoint, KindComplete}
	for i, ev := range evs {
		if ev.Seq != i+1 || ev.Kind != EventCallback || ev.Session != id || ev.Envelope == nil || ev.Method != "POST" {
			t.Fatalf("event %d: %+v", i, ev)
		}
		if ev.ContentTypeAction != ev.Envelope.Header.Action {
			t.Fatalf("content-type action %q", ev.ContentTypeAction)
		}
		cb, err := ParseCallbackBody(ev.Envelope)
		if err != nil || cb.Info.Kind != kinds[i] {
			t.Fatalf("event %d: %+v %v", i, cb, err)
		}
		if i > 0 && ev.Global <= evs[i-1].Global {
			t.Fatal("global order")
		}
	}
	if evs[1].Envelope.Header.To != url {
		t.Fatalf("To %q", evs[1].Envelope.Header.To)
	}
	if len(h.Events(id2)) != 0 || len(h.Stray()) != 0 {
		t.Fatal("events leaked")
	}
}

func TestCallbackHostRejections(t *testing.T) {
	h := startHost(t, Limits{MaxBytes: 2048})
	id, url := h.NewSession()
	good := NewCallback(ActionNotifyAsyncProvisionStart, url, NotifyStartBody(FamilyProvision)).Marshal()

	// Unknown sessions go to the stray list.
	if st := post(t, h.BaseURL()+"/cb/0123456789abcdef0123456789abcdef", ContentType(ActionNotifyAsyncProvisionStart), good); st != 404 {
		t.Fatalf("unknown session: %d", st)
	}
	if st := post(t, h.BaseURL()+"/other", ContentType(""), good); st != 404 {
		t.Fatalf("other path: %d", st)
	}
	if st := post(t, url+"/extra", ContentType(""), good); st != 404 {
		t.Fatalf("sub path: %d", st)
	}
	stray := h.Stray()
	if len(stray) != 3 || stray[0].Kind != EventUnknownSession || stray[0].Session != "" || stray[2].Seq != 3 || !bytes.Equal(stray[0].Raw, good) {
		t.Fatalf("stray: %+v", stray)
	}

	// Content types.
	for _, ct := range []string{"text/xml; charset=utf-8", "application/soap+xml; charset=iso-8859-1", "", "application/json", "%%%"} {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(good))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("%q: %d", ct, resp.StatusCode)
		}
	}
	// Accepted variants: no charset, upper-case charset.
	for _, ct := range []string{"application/soap+xml", "Application/SOAP+XML; charset=UTF-8"} {
		if st := post(t, url, ct, good); st != http.StatusAccepted {
			t.Fatalf("%q: %d", ct, st)
		}
	}
	// Too large.
	big := RawEnvelope(NSSoap12, "", "<x>"+strings.Repeat("a", 3000)+"</x>")
	if st := post(t, url, ContentType(""), big); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d", st)
	}
	// Malformed: answered 400 with a SOAP fault.
	resp, err := http.Post(url, ContentType(""), strings.NewReader("not xml"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), MediaType) {
		t.Fatalf("malformed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	fenv := mustParse(t, raw)
	if f, err := ParseFault(fenv.Body.Inner); err != nil || f.Code != CodeSender {
		t.Fatalf("fault: %+v %v", f, err)
	}
	// SOAP 1.1 envelope with the 1.2 content type: malformed.
	if st := post(t, url, ContentType(""), RawEnvelope(NSSoap11, "", "")); st != 400 {
		t.Fatalf("soap11: %d", st)
	}
	// Wrong method.
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d", resp.StatusCode)
	}

	evs := h.Events(id)
	want := []EventKind{
		EventBadContentType, EventBadContentType, EventBadContentType, EventBadContentType, EventBadContentType,
		EventCallback, EventCallback, EventTooLarge, EventMalformed, EventMalformed, EventBadMethod,
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, ev := range evs {
		if ev.Kind != want[i] || ev.Seq != i+1 {
			t.Errorf("event %d: kind %s seq %d, want %s", i, ev.Kind, ev.Seq, want[i])
		}
		if ev.Kind != EventCallback && (ev.Err == "" || strings.ContainsAny(ev.Err, "\r\n")) {
			t.Errorf("event %d: Err %q", i, ev.Err)
		}
	}
	if !strings.Contains(evs[0].Err, "SOAP 1.1") {
		t.Errorf("text/xml reason: %q", evs[0].Err)
	}
	if len(evs[7].Raw) > tooLargeKeep {
		t.Errorf("too-large event keeps %d bytes", len(evs[7].Raw))
	}
	if !strings.Contains(evs[9].Err, "SOAP 1.1") {
		t.Errorf("soap11 reason: %q", evs[9].Err)
	}
}

func TestCallbackHostConcurrentSessions(t *testing.T) {
	h := startHost(t, Limits{})
	const sessions, perSession = 40, 25
	type sess struct{ id, url string }
	ss := make([]sess, sessions)
	for i := range ss {
		ss[i].id, ss[i].url = h.NewSession()
	}
	c := &Client{}
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perSession {
				env := NewCallback(ActionNotifyAsyncProvisionCheckpoint, s.url, NotifyCheckpointBody(FamilyProvision, nil))
				env.Header.MessageID = fmt.Sprintf("urn:seq:%d", j)
				if _, err := c.Send(context.Background(), s.url, env); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, s := range ss {
		evs := h.Events(s.id)
		if len(evs) != perSession {
			t.Fatalf("session %s: %d events", s.id, len(evs))
		}
		for j, ev := range evs {
			if ev.Seq != j+1 || ev.Envelope.Header.MessageID != fmt.Sprintf("urn:seq:%d", j) || ev.Session != s.id {
				t.Fatalf("session %s event %d: %+v", s.id, j, ev)
			}
		}
	}
}

func TestCallbackHostWait(t *testing.T) {
	h := startHost(t, Limits{})
	id, url := h.NewSession()
	hasComplete := func(evs []Event) bool {
		for _, ev := range evs {
			if ev.Kind == EventCallback {
				if info, ok := ClassifyCallback(ev.Envelope.Header.Action); ok && info.Kind == KindComplete {
					return true
				}
			}
		}
		return false
	}

	// Times out without busy-looping.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	start := time.Now()
	evs, err := h.Wait(ctx, id, hasComplete)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || len(evs) != 0 {
		t.Fatalf("%v %v", evs, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Wait took %v", d)
	}

	// Satisfied by callbacks arriving later.
	go func() {
		c := &Client{}
		time.Sleep(30 * time.Millisecond)
		c.Send(context.Background(), url, NewCallback(ActionNotifyAsyncProvisionStart, url, NotifyStartBody(FamilyProvision)))
		time.Sleep(30 * time.Millisecond)
		c.Send(context.Background(), url, NewCallback(ActionNotifyAsyncProvisionComplete, url, NotifyCompleteBody(FamilyProvision, nil)))
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err = h.Wait(ctx, id, hasComplete)
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d events, %v", len(evs), err)
	}

	// Unknown session.
	if _, err := h.Wait(ctx, "nope", hasComplete); !errors.Is(err, ErrUnknownSession) {
		t.Fatal(err)
	}
	// Forget wakes a waiter; later posts are stray.
	id2, url2 := h.NewSession()
	done := make(chan error, 1)
	go func() {
		_, err := h.Wait(ctx, id2, func([]Event) bool { return false })
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	h.Forget(id2)
	if err := <-done; !errors.Is(err, ErrUnknownSession) {
		t.Fatal(err)
	}
	// A late callback to a forgotten session is dropped and counted, not a stray.
	before, late := len(h.Stray()), h.LateDropped()
	post(t, url2, ContentType(""), NewCallback(ActionNotifyAsyncProvisionStart, url2, NotifyStartBody(FamilyProvision)).Marshal())
	if len(h.Stray()) != before || h.Events(id2) != nil || h.LateDropped() != late+1 {
		t.Fatal("forgotten session still recording, or its late callback counted as a stray")
	}
	// A callback to an abandoned session is dropped and counted apart:
	// neither late nor stray.
	idA, urlA := h.NewSession()
	h.Abandon(idA)
	late, abandoned := h.LateDropped(), h.AbandonedDropped()
	post(t, urlA, ContentType(""), NewCallback(ActionNotifyAsyncProvisionCheckpoint, urlA, NotifyCheckpointBody(FamilyProvision, nil)).Marshal())
	if len(h.Stray()) != before || h.Events(idA) != nil || h.LateDropped() != late || h.AbandonedDropped() != abandoned+1 {
		t.Fatalf("abandoned session: stray %d (want %d), late %d (want %d), abandoned %d (want %d)",
			len(h.Stray()), before, h.LateDropped(), late, h.AbandonedDropped(), abandoned+1)
	}
	// A path that was never a session is a stray.
	post(t, h.BaseURL()+"/cb/00000000000000000000000000000000", ContentType(""), NewCallback(ActionNotifyAsyncProvisionStart, url2, NotifyStartBody(FamilyProvision)).Marshal())
	if len(h.Stray()) != before+1 {
		t.Fatal("a callback to a path that never was a session is not a stray")
	}

	// Close wakes a waiter.
	id3, _ := h.NewSession()
	go func() {
		_, err := h.Wait(ctx, id3, func([]Event) bool { return false })
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	h.Close()
	if err := <-done; !errors.Is(err, ErrHostClosed) {
		t.Fatal(err)
	}
	if len(h.Events(id)) != 2 {
		t.Fatal("events lost on Close")
	}
	if err := h.Start(); !errors.Is(err, ErrHostClosed) {
		t.Fatal(err)
	}
}

func TestCallbackHostMaxConns(t *testing.T) {
	h, err := NewCallbackHost("127.0.0.1:0", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	h.MaxConns = 1
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, url := h.NewSession()
	body := NewCallback(ActionNotifyAsyncProvisionStart, url, NotifyStartBody(FamilyProvision)).Marshal()

	// An idle keep-alive connection does not hold the only slot: the host
	// closes idle connections when it is full.
	idle, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(idle, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", url[len(h.BaseURL()):], MediaType, len(body), body)
	buf := make([]byte, 12)
	if _, err := io.ReadFull(idle, buf); err != nil || string(buf) != "HTTP/1.1 202" {
		t.Fatalf("%q %v", buf, err)
	}
	c0 := &Client{Timeout: 5 * time.Second}
	if _, err := c0.Send(context.Background(), url, NewCallback(ActionNotifyAsyncProvisionStart, url, NotifyStartBody(FamilyProvision))); err != nil {
		t.Fatalf("an idle connection starved the host: %v", err)
	}
	c0.CloseIdleConnections()
	idle.Close()

	// Occupy the only slot with a connection in the middle of a request.
	hold, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(hold, "POST %s HTTP/1.1\r\nHost: x\r\n", url[len(h.BaseURL()):])
	time.Sleep(50 * time.Millisecond)

	c := &Client{Timeout: 300 * time.Millisecond}
	if _, err := c.Send(context.Background(), url, NewCallback(ActionNotifyAsyncProvisionStart, url, NotifyStartBody(FamilyProvision))); err == nil {
		t.Fatal("second connection served while the limit is reached")
	}
	hold.Close()
	c = &Client{Timeout: 5 * time.Second}
	if _, err := c.Send(context.Background(), url, NewCallback(ActionNotifyAsyncProvisionStart, url, NotifyStartBody(FamilyProvision))); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestCallbackHostMaxEvents(t *testing.T) {
	h, err := NewCallbackHost("", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	h.MaxEvents = 2
	h.Start()
	defer h.Close()
	id, url := h.NewSession()
	body := NewCallback(ActionNotifyAsyncProvisionStart, url, NotifyStartBody(FamilyProvision)).Marshal()
	for i, want := range []int{202, 202, 503, 503} {
		if st := post(t, url, ContentType(""), body); st != want {
			t.Fatalf("post %d: %d, want %d", i, st, want)
		}
	}
	if len(h.Events(id)) != 2 || h.Dropped(id) != 2 {
		t.Fatalf("events %d dropped %d", len(h.Events(id)), h.Dropped(id))
	}
	// The lifetime count survives the session.
	h.Forget(id)
	if h.Refused() != 2 || h.Dropped(id) != 0 {
		t.Fatalf("after Forget: Refused() = %d (want 2), Dropped = %d (want 0)", h.Refused(), h.Dropped(id))
	}
}

func TestCallbackHostAdvertisedBase(t *testing.T) {
	h, err := NewCallbackHost("", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close() // never started: Close must still release the listener
	h.SetAdvertisedBase("http://harness.example:9999/")
	_, url := h.NewSession()
	if !strings.HasPrefix(url, "http://harness.example:9999/cb/") {
		t.Fatal(url)
	}
}
