package engine

import "context"

type fullWaitKey struct{}

// WithFullWaits marks ctx as a replay whose judgements must not be
// shortened: a target that cuts a wait short (an IPAM silence judged on an
// adaptive deadline, see runner.IPAMConfig.QuiescenceMin) waits its full
// configured deadline on such a replay. The engine sets it on the first
// replay of the final verification of every failure and on Replay, so a
// failure is never reported on shortened waits alone.
func WithFullWaits(ctx context.Context) context.Context {
	return context.WithValue(ctx, fullWaitKey{}, true)
}

// FullWaits reports whether ctx was marked by WithFullWaits.
func FullWaits(ctx context.Context) bool {
	v, _ := ctx.Value(fullWaitKey{}).(bool)
	return v
}
