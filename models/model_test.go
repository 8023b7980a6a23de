package models

import "testing"

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{
		{Op: "Close", Idx: -1}:                         "Close()",
		{Op: "GetCommand", Idx: 1}:                     "GetCommand(1)",
		{Op: "CreateEx", Idx: -1, Arg: 2}:              "CreateEx(arg=2)",
		{Op: "ctl.SetIpamConfigured", Idx: -1}:         "ctl.SetIpamConfigured(false)",
		{Op: "ctl.SetIpamConfigured", Idx: -1, Arg: 1}: "ctl.SetIpamConfigured(true)",
		{Op: "X", Idx: 0, Arg: 3}:                      "X(0, arg=3)",
	} {
		if got := a.String(); got != want {
			t.Errorf("%+v: %q, want %q", a, got, want)
		}
	}
	if CheckProfile("strict", []string{"strict", "documented"}) != nil || CheckProfile("lax", []string{"strict"}) == nil {
		t.Fatal("CheckProfile")
	}
}
