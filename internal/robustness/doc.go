// Package robustness holds the tests that drive specgate's real layers
// (shim client, SOAP client and callback host, runner, engine) against
// fixtures/chaos, a system under test that misbehaves on command, and
// check what specgate reports for every misbehaviour: the right kind of
// failure (hang, crash, malformed, divergence) with a deterministic
// one-line message, no panic, no hang, bounded memory, and a run that goes
// on with the next sequence after the SUT was restarted or reset. The
// table of misbehaviours and expected reports is at the top of
// robustness_test.go.
package robustness
