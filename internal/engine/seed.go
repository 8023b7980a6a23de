package engine

// CheckSeed derives the seed of check i from the run seed. It is a pure
// function (splitmix64), so a run seed fully determines every sequence, and
// a single check can be replayed or sharded on its own. It never returns 0,
// which rapid reads as "pick a random seed".
func CheckSeed(run uint64, i int) uint64 {
	z := run + uint64(i+1)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	if z == 0 {
		z = 1
	}
	return z
}
