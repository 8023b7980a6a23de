// Package version holds specgate's version. A seed and this version fully
// determine a run.
package version

// Version is specgate's release version.
const Version = "0.1.0"
