package main

import (
	"fmt"
	"strconv"
	"strings"
)

// maxShards bounds n of --shard i/n (so i*checks cannot overflow).
const maxShards = 100_000

// parseShard parses "i/n" with 0 <= i < n <= maxShards.
func parseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.Atoi(a)
		if err == nil {
			n, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || n < 1 || n > maxShards || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n <= %d, e.g. 0/4", s, maxShards)
	}
	return i, n, nil
}

// shardRange returns the first check and the number of checks of this
// shard: shard i of n runs checks [i*C/n, (i+1)*C/n) of the C checks, so the
// shards together run exactly the checks of an unsharded run.
func (rf *runFlags) shardRange() (first, count int) {
	if rf.shard == "" {
		return 0, rf.checks
	}
	i, n, _ := parseShard(rf.shard)
	lo, hi := i*rf.checks/n, (i+1)*rf.checks/n
	return lo, hi - lo
}
