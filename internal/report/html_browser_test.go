//go:build unix

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumPath finds the browser: $SPECGATE_CHROMIUM, /usr/bin/chromium
// (Debian's package, installed by scripts/install-browser.sh), or chromium
// on PATH.
func chromiumPath() string {
	if p := os.Getenv("SPECGATE_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// runChromium runs headless chromium on the page with a fresh profile and
// home, kills its whole process group when it is done or after the
// timeout, and returns its standard output.
func runChromium(t *testing.T, bin, pageURL string, args ...string) string {
	t.Helper()
	tmp := t.TempDir()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-dev-shm-usage", "--no-default-browser-check", "--mute-audio",
		"--user-data-dir=" + filepath.Join(tmp, "profile"), "--virtual-time-budget=3000"}
	flags = append(append(flags, args...), pageURL)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, flags...)
	cmd.Env = append(os.Environ(), "HOME="+tmp, "XDG_CONFIG_HOME="+filepath.Join(tmp, "config"), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers left in chromium's group
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %s timed out after 90s; stderr:\n%s", strings.Join(args, " "), tail(stderr.String(), 2000))
	}
	if err != nil {
		t.Fatalf("chromium %s: %v; stderr:\n%s", strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return stdout.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// TestHTMLInBrowser renders the HTML report in headless Chromium and checks
// the DOM after the page's script ran, then takes a screenshot. Without
// chromium the test is skipped, except in CI (CI=true), where it fails.
func TestHTMLInBrowser(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		msg := "chromium is not installed (looked for $SPECGATE_CHROMIUM, /usr/bin/chromium and chromium on PATH): " +
			"the HTML report was NOT checked in a browser; install it with: bash scripts/install-browser.sh"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: the browser test is required)")
		}
		// Loud, not quiet: the line is in every go test output, -v or not.
		fmt.Fprintln(os.Stderr, "\n*** WARNING: "+msg+" ***\n")
		t.Skip(msg)
	}

	// A known deviation (vdi) and a new hang (ipam, with a SOAP URL in its
	// transcript and replay command).
	r := sampleReport(t)
	b := NewBaselineFromReport(r, "accepted")
	b.Deviations = b.Deviations[1:] // sorted ipam, vdi: vdi is known
	Apply(r, b, "baseline.json")
	r.Models[1].Divergences[0].Replay += " --target soap:http://127.0.0.1:8080/ipam"
	if r.ExitCode != ExitUnreachable {
		t.Fatalf("fixture exit code %d, want 3", r.ExitCode)
	}

	// What the SUT answered to each step (the IPAM ones with the callbacks
	// of earlier sessions), as a verified failure carries them.
	for i := range r.Models {
		for j := range r.Models[i].Divergences {
			d := &r.Models[i].Divergences[j]
			d.Answers = nil
			for k := 0; k <= d.Step && k < len(d.Sequence); k++ {
				a := "NOERROR"
				if r.Models[i].Name == "ipam" {
					a = "204; session 1: NotifyAsyncSchemaConversionStart, NotifyAsyncSchemaConversionCheckpoint, NotifyAsyncSchemaConversionComplete(exception=nil)"
				}
				d.Answers = append(d.Answers, a)
			}
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := WriteHTML(path, r); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if refs := externalRefs(string(raw)); len(refs) != 0 {
		t.Errorf("the page references external resources: %v", refs)
	}
	pageURL := (&url.URL{Scheme: "file", Path: path}).String()

	dom := runChromium(t, bin, pageURL, "--dump-dom")
	if !strings.Contains(dom, "</html>") {
		t.Fatalf("chromium dumped no document:\n%s", tail(dom, 2000))
	}
	defer func() {
		if t.Failed() {
			_ = os.WriteFile(filepath.Join(os.TempDir(), "specgate-report-dom.html"), []byte(dom), 0o644)
			t.Logf("dumped DOM saved to %s", filepath.Join(os.TempDir(), "specgate-report-dom.html"))
		}
	}()
	if refs := externalRefs(dom); len(refs) != 0 {
		t.Errorf("the rendered DOM references external resources: %v", refs)
	}

	// 1. The script ran and computed the summary from the data island.
	if !strings.Contains(dom, `data-rendered="specgate"`) {
		t.Errorf("the page's script did not run to completion (no data-rendered on <html>)")
	}
	if strings.Contains(dom, "(the summary needs JavaScript)") {
		t.Errorf("the summary placeholder was not replaced")
	}
	total, known, cells, reached := 0, 0, 0, 0
	for _, m := range r.Models {
		for _, d := range m.Divergences {
			total++
			if d.Known {
				known++
			}
		}
		for _, c := range m.Coverage.Cells {
			cells++
			if c > 0 {
				reached++
			}
		}
	}
	wantSummary := fmt.Sprintf("%d divergences, coverage %.1f%%", total, 100*float64(reached)/float64(cells))
	if wantSummary != "2 divergences, coverage 62.5%" {
		t.Fatalf("fixture summary %q", wantSummary)
	}
	if got := firstGroup(dom, `<p id="summary" class="summary">([^<]*)</p>`); got != wantSummary {
		t.Errorf("JS summary = %q, want %q", got, wantSummary)
	}
	wantDetail := fmt.Sprintf("%d new, %d known deviations; %d of %d cells reached; verdict %s (exit %d)",
		total-known, known, reached, cells, r.Verdict, r.ExitCode)
	if got := firstGroup(dom, `<p id="summary-detail" class="summary-detail">([^<]*)</p>`); got != wantDetail {
		t.Errorf("JS summary detail = %q, want %q", got, wantDetail)
	}

	// 2. The heatmap legends, built by the script.
	for _, m := range r.Models {
		maxCount := 0
		for _, c := range m.Coverage.Cells {
			maxCount = max(maxCount, c)
		}
		legend := firstGroup(dom, `(?s)<div class="legend" id="legend-m--`+m.Name+`" data-model="`+m.Name+`">(.*?)</div>`)
		if legend == "" {
			t.Errorf("%s: empty or missing legend", m.Name)
			continue
		}
		for _, want := range []string{`<span class="legend-item"><span class="sw l0"></span>never reached</span>`,
			`<span class="sw l5"></span>`, fmt.Sprintf(`<span class="legend-max">max %d hits per cell (log scale)</span>`, maxCount)} {
			if !strings.Contains(legend, want) {
				t.Errorf("%s legend lacks %s:\n%s", m.Name, want, legend)
			}
		}
	}

	// 3. The heatmap: the divergence's cell was marked by the script; never
	// reached cells are marked as such.
	td := firstGroup(dom, `(<td [^>]*id="cell--vdi--Active-GetCommand"[^>]*>)`)
	for _, want := range []string{"hm-div", "hm-known", `data-divergence="d--vdi--1"`, `data-cell="Active/GetCommand"`, "divergence [vdi/client-table/Active/GetCommand]"} {
		if !strings.Contains(td, want) {
			t.Errorf("divergence cell %q lacks %s", td, want)
		}
	}
	if td := firstGroup(dom, `(<td [^>]*data-cell="ConversionRequired/StartAsyncSchemaConversion"[^>]*>)`); !strings.Contains(td, "hm-div") || strings.Contains(td, "hm-known") {
		t.Errorf("ipam divergence cell %q", td)
	}
	never := regexp.MustCompile(`<td class="hm l0" [^>]*title="[^"]*: never reached \(0\)"[^>]*>∅</td>`).FindAllString(dom, -1)
	if len(never) != (72-45)+(48-30) {
		t.Errorf("%d never-reached cells rendered, want %d", len(never), (72-45)+(48-30))
	}

	// 4. One SVG sequence diagram per divergence: a <line> and a <text> per
	// step, the failing step in red with observed and expected.
	for _, m := range r.Models {
		for j, d := range m.Divergences {
			id := fmt.Sprintf("seq-d--%s--%d", m.Name, j+1)
			svg := firstGroup(dom, `(?s)(<svg class="seq" id="`+id+`".*?</svg>)`)
			if svg == "" {
				t.Errorf("%s: no sequence diagram %s", m.Name, id)
				continue
			}
			labels := stepLabels(&d)
			for i, label := range labels {
				step := fmt.Sprint(i + 1)
				lines := regexp.MustCompile(`<line class="([^"]*)" data-step="`+step+`"`).FindAllStringSubmatch(svg, -1)
				texts := regexp.MustCompile(`<text class="([^"]*)" data-step="`+step+`"[^>]*>([^<]*)</text>`).FindAllStringSubmatch(svg, -1)
				if len(lines) != 1 || len(texts) != 1 {
					t.Errorf("%s step %s: %d <line>, %d <text>, want 1 each", id, step, len(lines), len(texts))
					continue
				}
				if want := step + ". " + label; texts[0][2] != want {
					t.Errorf("%s step %s label %q, want %q", id, step, texts[0][2], want)
				}
				failing := i+1 == d.Step
				if (lines[0][1] == "msg fail") != failing || (texts[0][1] == "lbl fail") != failing {
					t.Errorf("%s step %s: classes %q / %q, failing=%v", id, step, lines[0][1], texts[0][1], failing)
				}
			}
			for i := 0; i < d.Step-1 && i < len(labels); i++ { // Step is 1-based: steps before it passed
				resp := fmt.Sprintf(`<line class="resp" data-resp="%d"`, i+1)
				if !strings.Contains(svg, resp) || !strings.Contains(svg, ">"+clip(d.Answers[i], seqTextLimit)+"</text>") {
					t.Errorf("%s: passing step %d has no response arrow with its answer", id, i+1)
				}
			}
			if n := strings.Count(svg, `data-step="`); n != 2*len(labels)+1 {
				t.Errorf("%s: %d data-step elements, want %d", id, n, 2*len(labels)+1)
			}
			for _, want := range []string{`<line class="ret" data-step="observed"`, `>observed: ` + actualText(&d) + `</text>`,
				`>expected: ` + expectedText(&d) + `</text>`, `>specgate</text>`, `>SUT</text>`} {
				if !strings.Contains(svg, want) {
					t.Errorf("%s lacks %s", id, want)
				}
			}
			server, control := strings.Contains(svg, ">SUT server side</text>"), strings.Contains(svg, ">SUT control</text>")
			if server != (m.Name == "vdi") || control != (m.Name == "ipam") {
				t.Errorf("%s: server-side lifeline %v, control lifeline %v", id, server, control)
			}
		}
	}

	// 5. Clause ids with '/' and actions with '(' ')' survive escaping;
	// URLs appear only as text.
	for _, want := range []string{`>vdi/client-table/Active/GetCommand</a>`, `<code>GetCommand(device=0)</code>`,
		`xmlns:s="` + soapNS + `"`, `--target soap:http://127.0.0.1:8080/ipam</code>`, `known deviation (baseline)`} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %s", want)
		}
	}

	// 6. Layout, measured by a script added to a copy of the page, in a
	// 1280x800 window: the first divergence is above the fold, the
	// heatmaps follow the model's order, and no two labels of a sequence
	// diagram overlap (nor run off its edge).
	checkLayout(t, bin, dir, raw, r)

	// 7. A screenshot: the page renders to a non-trivial image.
	shot := filepath.Join(dir, "r.png")
	runChromium(t, bin, pageURL, "--screenshot="+shot, "--window-size=1200,2000")
	st, err := os.Stat(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if st.Size() < 20000 {
		t.Errorf("screenshot is only %d bytes", st.Size())
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 1500 {
		t.Errorf("screenshot is %v", b)
	}
	if n := distinctColours(img, 4); n < 16 {
		t.Errorf("screenshot has only %d colours: blank page?", n)
	}
}

func firstGroup(s, re string) string {
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

func distinctColours(img image.Image, step int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += step {
		for x := b.Min.X; x < b.Max.X; x += step {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// measureScript runs after the page's own script and writes what it
// measured into <pre id="measure"> as JSON.
const measureScript = `<script>
(function () {
  var out = {viewport: window.innerHeight, firstDivTop: -1, heatmaps: {}, overlaps: [], outside: []};
  var a = document.querySelector("article.div");
  if (a) { out.firstDivTop = a.getBoundingClientRect().top + window.scrollY; }
  document.querySelectorAll("table.heatmap").forEach(function (t) {
    var rows = [], cols = [];
    t.querySelectorAll("tbody th").forEach(function (th) { rows.push(th.textContent); });
    t.querySelectorAll("thead th span").forEach(function (sp) { cols.push(sp.textContent); });
    out.heatmaps[t.getAttribute("data-model")] = {rows: rows, cols: cols};
  });
  document.querySelectorAll("svg.seq").forEach(function (svg) {
    var ts = [].slice.call(svg.querySelectorAll("text"));
    var bs = ts.map(function (t) { return t.getBBox(); });
    var w = svg.width.baseVal.value, h = svg.height.baseVal.value;
    for (var i = 0; i < ts.length; i++) {
      var b = bs[i];
      if (b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h) {
        out.outside.push(svg.id + ": " + ts[i].textContent);
      }
      for (var j = i + 1; j < ts.length; j++) {
        var c = bs[j];
        if (b.x < c.x + c.width - 0.5 && c.x < b.x + b.width - 0.5 && b.y < c.y + c.height - 0.5 && c.y < b.y + b.height - 0.5) {
          out.overlaps.push(svg.id + ": \"" + ts[i].textContent + "\" / \"" + ts[j].textContent + "\"");
        }
      }
    }
  });
  var pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
</body>`

// checkLayout renders a copy of the page with measureScript in a 1280x800
// window and checks what it measured.
func checkLayout(t *testing.T, bin, dir string, page []byte, r *Report) {
	t.Helper()
	mp := filepath.Join(dir, "measure.html")
	if err := os.WriteFile(mp, []byte(strings.Replace(string(page), "</body>", measureScript, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := runChromium(t, bin, (&url.URL{Scheme: "file", Path: mp}).String(), "--dump-dom", "--window-size=1280,800")
	raw := firstGroup(dom, `(?s)<pre id="measure">(.*?)</pre>`)
	var got struct {
		Viewport    float64 `json:"viewport"`
		FirstDivTop float64 `json:"firstDivTop"`
		Heatmaps    map[string]struct {
			Rows []string `json:"rows"`
			Cols []string `json:"cols"`
		} `json:"heatmaps"`
		Overlaps []string `json:"overlaps"`
		Outside  []string `json:"outside"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(raw)), &got); err != nil {
		t.Fatalf("measurements %q: %v", raw, err)
	}
	t.Logf("measured: first divergence at y=%.0f (viewport %.0f), heatmaps %v, %d overlaps", got.FirstDivTop, got.Viewport, got.Heatmaps, len(got.Overlaps))
	if got.FirstDivTop < 0 || got.FirstDivTop >= min(800, got.Viewport) {
		t.Errorf("first divergence at y=%.0f, want within the first 800 px (viewport %.0f)", got.FirstDivTop, got.Viewport)
	}
	for _, m := range r.Models {
		var rows, cols []string
		seenR, seenC := map[string]bool{}, map[string]bool{}
		for _, c := range m.CellOrder {
			row, col := splitCell(c)
			if !seenR[row] {
				seenR[row] = true
				rows = append(rows, row)
			}
			if !seenC[col] {
				seenC[col] = true
				cols = append(cols, col)
			}
		}
		h := got.Heatmaps[m.Name]
		if fmt.Sprint(h.Rows) != fmt.Sprint(rows) || fmt.Sprint(h.Cols) != fmt.Sprint(cols) {
			t.Errorf("%s heatmap rows %v, columns %v; want the model's order %v, %v", m.Name, h.Rows, h.Cols, rows, cols)
		}
	}
	for _, o := range got.Overlaps {
		t.Errorf("overlapping labels in %s", o)
	}
	for _, o := range got.Outside {
		t.Errorf("label outside its diagram: %s", o)
	}
}
