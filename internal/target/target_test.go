package target

import "testing"

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
