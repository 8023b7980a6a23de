package ntlm

// Flags is the NegotiateFlags field of every NTLM message ([MS-NLMP]
// §2.2.2.5).
type Flags uint32

// The negotiate flags of [MS-NLMP] §2.2.2.5.
const (
	FlagUnicode                 Flags = 0x00000001
	FlagOEM                     Flags = 0x00000002
	FlagRequestTarget           Flags = 0x00000004
	FlagSign                    Flags = 0x00000010
	FlagSeal                    Flags = 0x00000020
	FlagDatagram                Flags = 0x00000040
	FlagLMKey                   Flags = 0x00000080
	FlagNTLM                    Flags = 0x00000200
	FlagAnonymous               Flags = 0x00000800
	FlagOEMDomainSupplied       Flags = 0x00001000
	FlagOEMWorkstationSupplied  Flags = 0x00002000
	FlagAlwaysSign              Flags = 0x00008000
	FlagTargetTypeDomain        Flags = 0x00010000
	FlagTargetTypeServer        Flags = 0x00020000
	FlagExtendedSessionSecurity Flags = 0x00080000
	FlagIdentify                Flags = 0x00100000
	FlagRequestNonNTSessionKey  Flags = 0x00400000
	FlagTargetInfo              Flags = 0x00800000
	FlagVersion                 Flags = 0x02000000
	Flag128                     Flags = 0x20000000
	FlagKeyExch                 Flags = 0x40000000
	Flag56                      Flags = 0x80000000
)

// Has reports whether every flag in want is set.
func (f Flags) Has(want Flags) bool { return f&want == want }

// defaultClientFlags is what Client always asks for: Unicode, NTLM,
// extended session security, 128-bit keys, key exchange, always-sign,
// target info and the version field. FlagSign is added for integrity,
// FlagSign and FlagSeal for confidentiality.
const defaultClientFlags = FlagUnicode | FlagRequestTarget | FlagNTLM | FlagAlwaysSign |
	FlagExtendedSessionSecurity | FlagTargetInfo | FlagVersion | Flag128 | FlagKeyExch | Flag56
