package checker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/specgate/specgate/fixtures/vdiref"
	"github.com/specgate/specgate/models"
)

// TestReplayEmbeddedConforms: the bundled reference conforms on every
// mutant's exposing sequence, in every profile that can see the mutant.
func TestReplayEmbeddedConforms(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, mi := range vdiref.Mutants {
		for _, p := range mi.Profiles {
			res, err := Replay(ctx, "embedded", "vdi", p, mi.Sequence)
			if err != nil || res.Divergence != nil {
				t.Errorf("%s/%s: %+v %v", mi.Name, p, res.Divergence, err)
			}
		}
	}
}

// TestReplayUnsupported: other models and target families are refused
// with ErrUnsupported, not replayed.
func TestReplayUnsupported(t *testing.T) {
	ctx := context.Background()
	steps := []models.Action{{Op: "Create", Idx: -1, Arg: 1}}
	if _, err := Replay(ctx, "embedded", "ipam", "strict", steps); !errors.Is(err, ErrUnsupported) {
		t.Errorf("model ipam: %v, want ErrUnsupported", err)
	}
	if _, err := Replay(ctx, "soap:http://127.0.0.1:1/ipam", "vdi", "strict", steps); !errors.Is(err, ErrUnsupported) {
		t.Errorf("soap target: %v, want ErrUnsupported", err)
	}
	if _, err := Replay(ctx, "embedded", "vdi", "strict", nil); err == nil {
		t.Error("no steps: want an error")
	}
}
