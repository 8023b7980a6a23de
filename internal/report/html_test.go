package report

import (
	"encoding/json"
	"fmt"
	"github.com/specgate/specgate/models/vdi"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// urlAttrs are attributes whose value the browser fetches or navigates to.
var urlAttrs = map[string]bool{"src": true, "href": true, "xlink:href": true, "srcset": true, "action": true,
	"formaction": true, "poster": true, "data": true, "background": true, "cite": true, "ping": true,
	"manifest": true, "codebase": true, "longdesc": true, "usemap": true, "lowsrc": true, "dynsrc": true, "imagesrcset": true}

// fetchingTags may only appear without attributes that load something;
// these never may appear at all.
var forbiddenTags = map[string]bool{"link": true, "img": true, "iframe": true, "frame": true, "embed": true,
	"object": true, "base": true, "image": true, "audio": true, "video": true, "source": true, "track": true, "portal": true}

var (
	tagNameRE = regexp.MustCompile(`^<([A-Za-z][A-Za-z0-9:-]*)`)
	attrRE    = regexp.MustCompile(`([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
)

// externalRefs scans an HTML document and returns every reference to
// something outside the page: tags that load resources, URL attributes
// that are not in-page fragments, any attribute mentioning http:, https:
// or a protocol-relative //host, CSS url()/@import of anything but a
// fragment, and scripts with a src or network calls. URLs inside text
// content and inside the JSON data island are report data and allowed.
func externalRefs(doc string) []string {
	var bad []string
	lower := strings.ToLower(doc)
	i := 0
	for i < len(doc) {
		lt := strings.IndexByte(doc[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		if strings.HasPrefix(doc[i:], "<!--") {
			end := strings.Index(doc[i:], "-->")
			if end < 0 {
				break
			}
			if c := lower[i : i+end]; strings.Contains(c, "http:") || strings.Contains(c, "https:") {
				bad = append(bad, "URL in a comment")
			}
			i += end + 3
			continue
		}
		m := tagNameRE.FindStringSubmatch(doc[i:])
		if m == nil { // "</x>", "<!DOCTYPE>" or text
			i++
			continue
		}
		name := strings.ToLower(m[1])
		// Find the end of the tag, skipping quoted values.
		j, quote := i+len(m[0]), byte(0)
		for ; j < len(doc); j++ {
			c := doc[j]
			if quote != 0 {
				if c == quote {
					quote = 0
				}
				continue
			}
			if c == '"' || c == '\'' {
				quote = c
			} else if c == '>' {
				break
			}
		}
		tag := doc[i : j+1]
		if forbiddenTags[name] {
			bad = append(bad, "forbidden tag: "+clip(tag, 120))
		}
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(tag[len(m[0]):len(tag)-1], -1) {
			an := strings.ToLower(a[1])
			v := a[2] + a[3] + a[4]
			attrs[an] = v
			lv := strings.ToLower(strings.TrimSpace(v))
			switch {
			case urlAttrs[an] && lv != "" && !strings.HasPrefix(lv, "#"):
				bad = append(bad, "URL attribute "+an+"="+clip(v, 80)+" in "+clip(tag, 120))
			case strings.Contains(lv, "http:") || strings.Contains(lv, "https:") || strings.Contains(lv, "ftp:") ||
				strings.HasPrefix(lv, "//") || strings.Contains(lv, "url(//"):
				bad = append(bad, "URL in attribute "+an+" of "+clip(tag, 120))
			case strings.Contains(lv, "url(") && !strings.Contains(lv, "url(#"):
				bad = append(bad, "CSS url() in attribute "+an)
			}
		}
		i = j + 1
		if name == "script" || name == "style" {
			end := strings.Index(lower[i:], "</"+name)
			if end < 0 {
				end = len(doc) - i
			}
			body := lower[i : i+end]
			i += end
			if name == "script" {
				if _, ok := attrs["src"]; ok {
					bad = append(bad, "script with src")
				}
				if attrs["type"] == "application/json" {
					continue // the report's data island: data, not code
				}
				for _, s := range []string{"http:", "https:", "//cdn", "fetch(", "xmlhttprequest", "websocket", "import(", "import ", "eventsource", "sendbeacon", ".src", "location.href", "window.open"} {
					if strings.Contains(body, s) {
						bad = append(bad, "script mentions "+s)
					}
				}
			} else {
				if strings.Contains(body, "@import") || strings.Contains(body, "http:") || strings.Contains(body, "https:") {
					bad = append(bad, "style loads something")
				}
				for k := strings.Index(body, "url("); k >= 0; k = strings.Index(body, "url(") {
					if !strings.HasPrefix(strings.TrimLeft(body[k+4:], `'" `), "#") {
						bad = append(bad, "CSS url() in a style sheet")
					}
					body = body[k+4:]
				}
			}
		}
	}
	return bad
}

func TestExternalRefsChecker(t *testing.T) {
	for _, bad := range []string{
		`<script src="a.js"></script>`,
		`<link rel="stylesheet" href="x.css">`,
		`<img src="data:image/png;base64,xx">`,
		`<a href="https://example.com/">x</a>`,
		`<a href='//example.com/'>x</a>`,
		`<div style="background:url(http://x/y.png)"></div>`,
		`<style>@import "x.css";</style>`,
		`<style>body{background:url(x.png)}</style>`,
		`<svg><image href="x.png"></image></svg>`,
		`<svg><use xlink:href="http://x/s.svg#a"></use></svg>`,
		`<script>fetch("/x")</script>`,
		`<div title="see https://x">t</div>`,
	} {
		if len(externalRefs("<html><body>"+bad+"</body></html>")) == 0 {
			t.Errorf("not flagged: %s", bad)
		}
	}
	ok := `<html><body><p>see http://www.w3.org/2003/05/soap-envelope</p><a href="#x">x</a>` +
		`<svg><line marker-end="url(#sg-arrow)"></line></svg><style>a{color:red}</style>` +
		`<script type="application/json" id="specgate-data">{"u":"http://x"}</script><script>var a = 1 > 0;</script></body></html>`
	if got := externalRefs(ok); len(got) != 0 {
		t.Errorf("false positives: %v", got)
	}
}

// dataIsland extracts the page's JSON data island.
func dataIsland(t *testing.T, page string) htmlData {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="specgate-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no data island")
	}
	var d htmlData
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("data island is not JSON: %v\n%.300s", err, m[1])
	}
	return d
}

func TestWriteHTMLStatic(t *testing.T) {
	r := sampleReport(t)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := WriteHTML(path, r); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	if strings.Contains(page, "ZgotmplZ") {
		t.Errorf("html/template rejected a value (ZgotmplZ)")
	}
	if refs := externalRefs(page); len(refs) != 0 {
		t.Errorf("external references: %v", refs)
	}
	for _, want := range []string{
		`<td class="mono id"><a href="#d--vdi--1">vdi/client-table/Active/GetCommand</a></td>`,
		`data-cell="Active/GetCommand"`,
		`id="cell--vdi--Active-GetCommand"`,
		`title="Abort/Close: never reached (0)"`,
		`>6. GetCommand(device=0)</text>`,
		`>2. server.Open(arg=1)</text>`,
		`>1. ctl.SetSchemaConversionRequired(true)</text>`,
		`xmlns:s=&#34;` + soapNS + `&#34;`, // the transcript, as text
		`<dt>Expected:</dt><dd class="expected mono">VD_E_CLOSE | NOERROR</dd>`,
		`<dt>Actual:</dt><dd class="actual mono">VD_E_TIMEOUT (after 5000 ms)</dd>`,
		`<code class="replay">specgate replay specgate-out/failures/vdi-documented-vdi-client-table-Active-GetCommand-42-7.json --target &#39;vdi:exec:./shim --mode x&#39;</code>`,
		`<li class="chosen">reference (chosen): VD_E_TIMEOUT: No command was available`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The heatmap: one row per state, one column per operation.
	vdiSection := page[strings.Index(page, `<section class="model" id="m--vdi"`):strings.Index(page, `<section class="model" id="m--ipam"`)]
	if n := strings.Count(vdiSection, "<tr><th scope=\"row\">"); n != 6 {
		t.Errorf("vdi heatmap has %d rows, want 6", n)
	}
	if n := strings.Count(vdiSection, "<th scope=\"col\">"); n != 12 {
		t.Errorf("vdi heatmap has %d columns, want 12", n)
	}
	if n := strings.Count(vdiSection, `<td class="hm l0"`); n != 72-45 {
		t.Errorf("vdi heatmap has %d never-reached cells, want 27", n)
	}
	d := dataIsland(t, page)
	if len(d.Models) != 2 || len(d.Models[0].Cells) != 72 || len(d.Models[1].Divergences) != 1 || d.Verdict != "divergent" {
		t.Errorf("data island: %+v", d)
	}
	// The JS-built parts are not in the page itself.
	for _, s := range []string{`class="legend-item"`, `class="[^"]*hm-div`, `data-divergence=`, "2 divergences, coverage"} {
		if regexp.MustCompile(s).MatchString(page) {
			t.Errorf("the template already contains %q: the browser test would not prove the script ran", s)
		}
	}
}

// Values that look like markup or script stay text.
func TestWriteHTMLEscaping(t *testing.T) {
	r := sampleReport(t)
	evil := `</script><script>alert(1)</script><img src=x onerror=alert(2)>`
	d := &r.Models[0].Divergences[0]
	d.Observed = evil
	d.Clause = "vdi/<b>x</b>"
	d.Sequence[0].Op = "Create\"><svg onload=alert(3)>"
	r.Models[0].Ambiguities[0].Summary = evil
	r.Run.Target = evil
	page, err := RenderHTML(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", "<b>x</b>"} {
		if strings.Contains(s, bad) {
			t.Errorf("unescaped %q in the page", bad)
		}
	}
	if refs := externalRefs(s); len(refs) != 0 {
		t.Errorf("external references: %v", refs)
	}
	data := dataIsland(t, s)
	if data.Models[0].Divergences[0].Clause != "vdi/<b>x</b>" {
		t.Errorf("data island clause %q", data.Models[0].Divergences[0].Clause)
	}
	if got := strings.Count(s, "</script>"); got != 2 {
		t.Errorf("%d </script> in the page, want 2", got)
	}
}

func TestHeatLevelAndCells(t *testing.T) {
	for _, c := range []struct{ count, max, want int }{{0, 10, 0}, {1, 1, 5}, {500, 500, 5}, {1, 500, 1}, {22, 500, 3}, {21, 500, 2}, {3, 500, 1}, {4, 500, 2}} {
		if got := heatLevel(c.count, c.max); got != c.want {
			t.Errorf("heatLevel(%d, %d) = %d, want %d", c.count, c.max, got, c.want)
		}
	}
	h := buildHeatmap("m", map[string]int{"A/x": 0, "B/server.y": 3, "A/y": 1, "loose": 2}, nil)
	if fmt.Sprint(h.Cols) != "[loose x y server.y]" {
		t.Errorf("columns %v", h.Cols)
	}
	if len(h.Rows) != 3 || h.Rows[0].Name != "(other)" || h.Rows[1].Name != "A" {
		t.Errorf("rows %+v", h.Rows)
	}
	if !h.Rows[0].Cells[0].Exists || h.Rows[0].Cells[0].Name != "loose" || h.Rows[1].Cells[0].Exists {
		t.Errorf("cells %+v", h.Rows)
	}
}

func TestSeqDiagramLanes(t *testing.T) {
	d := ipamHang(1)
	sd := buildSeqDiagram(&d, stepLabels(&d))
	var names []string
	for _, l := range sd.Lifelines {
		names = append(names, l.Name)
	}
	if fmt.Sprint(names) != "[specgate SUT SUT control]" {
		t.Errorf("lifelines %v", names)
	}
	if len(sd.Arrows) != 3 || sd.Arrows[0].X2 != sd.Lifelines[2].X || sd.Arrows[1].X2 != sd.Lifelines[1].X || !sd.Arrows[2].Failing {
		t.Errorf("arrows %+v", sd.Arrows)
	}
	if sd.Fail == nil || sd.Fail.X1 != sd.Lifelines[1].X || sd.Fail.X2 != sd.Lifelines[0].X {
		t.Errorf("fail %+v", sd.Fail)
	}
	// A divergence found after the last step (a late callback).
	d.Step = len(d.Sequence) + 1
	sd = buildSeqDiagram(&d, stepLabels(&d))
	for _, a := range sd.Arrows {
		if a.Failing {
			t.Errorf("step %d marked failing", a.Step)
		}
	}
	if sd.Fail == nil || sd.Fail.Y <= sd.Arrows[2].Y {
		t.Errorf("late failure not drawn after the last step: %+v", sd.Fail)
	}
}

// TestHeatmapModelOrder: with the model's declared cell order the rows and
// columns follow it (the state machine's order), not the alphabet; cells
// the order does not name follow, sorted.
func TestHeatmapModelOrder(t *testing.T) {
	cells := map[string]int{"DNE/Create": 1, "DNE/Close": 0, "Configurable/Create": 2, "Configurable/Close": 3, "Abort/Create": 0, "Abort/Close": 1, "Z/extra": 1}
	order := []string{"DNE/Create", "DNE/Close", "Configurable/Create", "Configurable/Close", "Abort/Create", "Abort/Close"}
	h := buildHeatmap("m", cells, order)
	var rows []string
	for _, r := range h.Rows {
		rows = append(rows, r.Name)
	}
	if fmt.Sprint(rows) != "[DNE Configurable Abort Z]" || fmt.Sprint(h.Cols) != "[Create Close extra]" {
		t.Errorf("rows %v, columns %v; want the declared order", rows, h.Cols)
	}
	vdiInfo := modelFromInfo(vdi.Info(), 10, 0, 1)
	h = buildHeatmap("vdi", vdiInfo.Coverage.Cells, vdiInfo.CellOrder)
	if h.Rows[0].Name != vdi.DNE.String() || h.Rows[len(h.Rows)-1].Name != vdi.States[len(vdi.States)-1].String() || h.Cols[0] != vdi.Ops[0] {
		t.Errorf("vdi heatmap not in the model's order: rows %v..., columns %v", h.Rows[0].Name, h.Cols)
	}
}
