package target

import (
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]Spec{
		"":                                  {Raw: Embedded, Kind: Embedded},
		"embedded":                          {Raw: Embedded, Kind: Embedded},
		"vdi:exec:./shim --x":               {Raw: "vdi:exec:./shim --x", Family: FamilyVDI, Kind: "exec", Addr: "./shim --x"},
		"vdi:tcp://127.0.0.1:7000":          {Raw: "vdi:tcp://127.0.0.1:7000", Family: FamilyVDI, Kind: "tcp", Addr: "127.0.0.1:7000"},
		"soap:http://h:8080/ipam":           {Raw: "soap:http://h:8080/ipam", Family: FamilySOAP, Kind: "http", Addr: "http://h:8080/ipam"},
		"soap:https://h/ipam":               {Raw: "soap:https://h/ipam", Family: FamilySOAP, Kind: "https", Addr: "https://h/ipam"},
		"soap:net.tcp://127.0.0.1:808/ipam": {Raw: "soap:net.tcp://127.0.0.1:808/ipam", Family: FamilySOAP, Kind: "net.tcp", Addr: "net.tcp://127.0.0.1:808/ipam"},
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"vdi:exec:", "vdi:exec:   ", "vdi:tcp://nohost", "vdi:tcp://h:", "soap:ftp://h/x",
		"soap:http//h", "soap:https://user:pw@h/x", "gopher://x", "vdi:udp://h:1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestParseExecQuoting: the README's --target "vdi:exec:'./myshim --flag'"
// reaches Parse with its single quotes; they delimit the whole command
// line, which is then split into the program and its arguments.
func TestParseExecQuoting(t *testing.T) {
	cases := map[string][]string{
		`vdi:exec:'./myshim --flag'`:              {"./myshim", "--flag"},
		`vdi:exec:"./myshim --flag"`:              {"./myshim", "--flag"},
		`vdi:exec:./myshim --flag`:                {"./myshim", "--flag"},
		`vdi:exec:'./myshim'`:                     {"./myshim"},
		`vdi:exec:"'/opt/my shim' --a 'b c'"`:     {"/opt/my shim", "--a", "b c"},
		`vdi:exec:/opt/my\ shim --x`:              {"/opt/my shim", "--x"},
		`vdi:exec:'/opt/my shim' --x`:             {"/opt/my shim", "--x"},
		`vdi:exec:python3 -c 'print("hi there")'`: {"python3", "-c", `print("hi there")`},
		`vdi:exec:'C:\acme\shim.exe'`:             {`C:\acme\shim.exe`},
		`vdi:exec:"'C:\Program Files\s.exe' -v"`:  {`C:\Program Files\s.exe`, "-v"},
		`vdi:exec:"sh -c \"echo \\\"x y\\\"\""`:   {"sh", "-c", `echo "x y"`},
	}
	for in, want := range cases {
		s, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		got, err := s.Argv()
		if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("Parse(%q).Argv() = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`vdi:exec:'./myshim --flag`, `vdi:exec:"./myshim`, `vdi:exec:./myshim 'x`,
		`vdi:exec:"'./myshim --flag"`, `vdi:exec:./myshim\`, `vdi:exec:''`, `vdi:exec:"  "`} {
		if s, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", bad, s)
		}
	}
}
