// Package vdiapi is the driver-side view of a VDI implementation: the client
// calls of the C API (IClientVirtualDeviceSet2 / IClientVirtualDevice) and
// the server-side calls that drive a client (IServerVirtualDeviceSet2 /
// IServerVirtualDevice), each naming its device set by a harness-chosen id.
//
// Implementations are the in-process reference (fixtures/vdiref) and the
// JSON-RPC shim client (internal/shim). This package knows nothing of the
// specification: status codes are plain uint32 HRESULTs and no call is
// judged here.
package vdiapi

import "context"

// ProtocolVersion is the shim protocol version spoken by specgate.
const ProtocolVersion = "specgate-vdi-shim/1"

// Config is the VDConfig structure of vdi.h (eleven DWORD fields).
type Config struct {
	DeviceCount           uint32 `json:"deviceCount"`
	Features              uint32 `json:"features"`
	PrefixZoneSize        uint32 `json:"prefixZoneSize"`
	Alignment             uint32 `json:"alignment"`
	SoftFileMarkBlockSize uint32 `json:"softFileMarkBlockSize"`
	EOMWarningSize        uint32 `json:"EOMWarningSize"`
	ServerTimeOut         uint32 `json:"serverTimeOut"`
	BlockSize             uint32 `json:"blockSize"`
	MaxIODepth            uint32 `json:"maxIODepth"`
	MaxTransferSize       uint32 `json:"maxTransferSize"`
	BufferAreaSize        uint32 `json:"bufferAreaSize"`
}

// Command is a VDC_Command as delivered by GetCommand. ID is assigned by the
// implementation and is never 0; the harness passes it back to
// CompleteCommand. ID 0 means "no command".
type Command struct {
	ID       uint64 `json:"id"`
	Code     uint32 `json:"code"`
	Size     uint32 `json:"size"`
	Position uint64 `json:"position"`
}

// Hello is the answer to shim.hello.
type Hello struct {
	Protocol       string       `json:"protocol"`
	Implementation string       `json:"implementation"`
	Version        string       `json:"version"`
	Capabilities   Capabilities `json:"capabilities"`
}

// Capabilities a shim declares in shim.hello.
type Capabilities struct {
	// ConcurrentSets is true when the shim serves several device sets at
	// once; specgate then runs sequences in parallel on it.
	ConcurrentSets bool `json:"concurrentSets"`
	// Server is true when the shim implements the server.* methods.
	Server bool `json:"server"`
}

// VDI is one VDI implementation reachable by the harness. Every method
// returns the HRESULT the implementation produced; err is non-nil only when
// the call could not be made or answered (a transport or shim fault).
type VDI interface {
	// Hello exchanges versions; profile tells a reference implementation
	// which profile to emulate (vendors ignore it).
	Hello(ctx context.Context, profile string) (Hello, error)
	// Reset forgets the named set, or everything when set is "".
	Reset(ctx context.Context, set string) error

	Create(ctx context.Context, set string, cfg Config) (uint32, error)
	CreateEx(ctx context.Context, instance, set string, cfg Config) (uint32, error)
	GetConfiguration(ctx context.Context, set string, timeoutMs uint32) (uint32, Config, error)
	OpenDevice(ctx context.Context, set, device string) (uint32, error)
	GetCommand(ctx context.Context, set, device string, timeoutMs uint32) (uint32, Command, error)
	CompleteCommand(ctx context.Context, set, device string, id uint64, completionCode, bytesTransferred uint32, position uint64) (uint32, error)
	SignalAbort(ctx context.Context, set string) (uint32, error)
	Close(ctx context.Context, set string) (uint32, error)

	// ServerOpen opens and configures the set on the server side
	// (Open + BeginConfiguration + EndConfiguration); devices are the names
	// of the VIRTUAL_DEVICE clauses, the first equal to the set name.
	ServerOpen(ctx context.Context, set string, devices []string) (uint32, error)
	// ServerSendCommand queues a command on a device; the id it returns is
	// the one GetCommand will deliver.
	ServerSendCommand(ctx context.Context, set, device string, code, size uint32) (uint32, uint64, error)
	ServerCloseDevice(ctx context.Context, set, device string) (uint32, error)
	ServerSignalAbort(ctx context.Context, set string) (uint32, error)

	// Shutdown releases the implementation (stops a child process, closes
	// a connection).
	Shutdown() error
}

// DeviceName returns the name of device i of a set: the first device has
// the set's name, the others "<set>.<i>".
func DeviceName(set string, i int) string {
	if i == 0 {
		return set
	}
	return set + "." + string(rune('0'+i%10))
}
