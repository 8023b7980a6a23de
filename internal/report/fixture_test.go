package report

import (
	"sort"
	"testing"
	"time"

	"github.com/specgate/specgate/internal/coverage"
	"github.com/specgate/specgate/internal/engine"
	"github.com/specgate/specgate/models"
	"github.com/specgate/specgate/models/ipam"
	"github.com/specgate/specgate/models/vdi"
)

const soapNS = "http://www.w3.org/2003/05/soap-envelope"

// Clauses and cells the fixture's divergences name.
var (
	vdiFailClause  = vdi.CellID(vdi.Active, vdi.FnGetCommand) // vdi/client-table/Active/GetCommand
	vdiFailCell    = vdi.CellName(vdi.Active, vdi.OpGetCommand)
	ipamHangClause = ipam.ClQuiescence
	ipamHangCell   = "ConversionRequired/" + ipam.OpStartSchema
)

func act(op string, idx, arg int) models.Action { return models.Action{Op: op, Idx: idx, Arg: arg} }

// vdiDivergence is a protocol divergence on the VDI client table found at
// the 4th step of a sequence using client and server.* calls.
func vdiDivergence(check int) Divergence {
	seq := []models.Action{
		act(vdi.OpCreate, -1, 1),
		act(vdi.OpServerOpen, -1, 1),
		act(vdi.OpGetConfiguration, -1, 0),
		act(vdi.OpOpenDevice, 0, 0),
		act(vdi.OpServerCloseDevice, 0, 0),
		act(vdi.OpGetCommand, 0, 0),
	}
	d := Divergence{
		Divergence: engine.Divergence{Kind: engine.KindDivergence, Clause: vdiFailClause, Cell: vdiFailCell, Step: 6,
			Action: seq[5].String(), Expected: []string{"VD_E_CLOSE", "NOERROR"}, Observed: "VD_E_TIMEOUT",
			Detail: "after 5000 ms"},
		Sequence: seq, Original: 23, Seed: 42, Check: check,
		Transcript: []string{`-> {"id":6,"method":"GetCommand","params":{"device":0}}`, `<- {"id":6,"result":{"hr":"VD_E_TIMEOUT"}}`},
		File:       "specgate-out/failures/vdi-documented-vdi-client-table-Active-GetCommand-42-7.json",
		Replay:     "specgate replay specgate-out/failures/vdi-documented-vdi-client-table-Active-GetCommand-42-7.json --target 'vdi:exec:./shim --mode x'",
	}
	for _, a := range seq {
		d.Steps = append(d.Steps, a.String())
	}
	return d
}

// ipamHang is a hang on IPAM (no Complete callback) with a SOAP transcript.
func ipamHang(check int) Divergence {
	seq := []models.Action{
		act(ipam.OpCtlRequired, -1, 1),
		act(ipam.OpInitSchema, 0, 0),
		act(ipam.OpStartSchema, 0, 0),
	}
	d := Divergence{
		Divergence: engine.Divergence{Kind: engine.KindHang, Clause: ipamHangClause, Cell: ipamHangCell, Step: 3,
			Action: seq[2].String(), Expected: []string{"NotifyAsyncSchemaConversionComplete"}, Observed: "no callback within 5s"},
		Sequence: seq, Original: 9, Seed: 42, Check: check,
		Transcript: []string{`POST /ipam <s:Envelope xmlns:s="` + soapNS + `"><s:Body><StartAsyncSchemaConversion/></s:Body></s:Envelope>`},
		Replay:     "specgate replay specgate-out/failures/ipam-documented-ipam-quiescence-42-3.json",
	}
	for _, a := range seq {
		d.Steps = append(d.Steps, a.String())
	}
	return d
}

// modelFromInfo builds a model whose first reachedCells cells (in the
// model's order) and all but the last unreachedClauses clauses have
// non-zero counts; scale multiplies the counts.
func modelFromInfo(inf models.Info, reachedCells, unreachedClauses, scale int) Model {
	var ids []string
	for _, c := range inf.Clauses {
		ids = append(ids, c.ID)
	}
	cov := coverage.New(inf.Name, inf.Cells, ids)
	for i, c := range inf.Cells {
		if i < reachedCells {
			cov.Cells[c] = scale * (1 + (i*37)%500)
		}
	}
	for i, id := range ids {
		if i < len(ids)-unreachedClauses {
			cov.Clauses[id] = scale * (1 + (i*13)%200)
		}
	}
	return Model{Name: inf.Name, Title: inf.Title, Profile: models.ProfileDocumented, Checks: 100 * scale, Steps: 3000 * scale,
		Coverage: cov, Clauses: inf.Clauses, Ambiguities: inf.Ambiguities, CellOrder: inf.Cells}
}

// sampleReport returns a report over both models: vdi with a protocol
// divergence, ipam with a hang. 45 of 72 vdi cells and 30 of 48 ipam cells
// are reached (62.5% overall).
func sampleReport(t testing.TB) *Report {
	t.Helper()
	vm := modelFromInfo(vdi.Info(), 45, 3, 1)
	vm.Coverage.Clauses[vdiFailClause] = 17
	vm.Divergences = []Divergence{vdiDivergence(7)}
	im := modelFromInfo(ipam.Info(), 30, 2, 1)
	im.Coverage.Clauses[ipamHangClause] = 5
	im.Divergences = []Divergence{ipamHang(3)}
	if len(vm.Coverage.Cells) != 72 || len(im.Coverage.Cells) != 48 {
		t.Fatalf("fixture: unexpected cell universes %d, %d", len(vm.Coverage.Cells), len(im.Coverage.Cells))
	}
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r := &Report{Schema: Schema, SchemaVersion: SchemaVersion,
		Run: Run{Version: "v0.9.0-test", Target: "vdi:exec:'./shim --mode x'", Profile: models.ProfileDocumented, Seed: 42,
			Checks: vm.Checks + im.Checks, Steps: vm.Steps + im.Steps, Started: start, Finished: start.Add(12 * time.Second), WallTime: 12},
		Models: []Model{vm, im}}
	for i := range r.Models {
		for j := range r.Models[i].Divergences {
			d := &r.Models[i].Divergences[j]
			d.Signature = SignatureOf(r.Models[i].Name, d.Divergence)
		}
	}
	Recompute(r)
	return r
}

func sigs(r *Report) []string {
	var out []string
	for _, m := range r.Models {
		for _, d := range m.Divergences {
			out = append(out, SignatureOf(m.Name, d.Divergence))
		}
	}
	sort.Strings(out)
	return out
}
