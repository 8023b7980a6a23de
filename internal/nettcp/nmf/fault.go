package nmf

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// FaultNamespace is the namespace of the [MC-NMF] §2.2.5 fault URIs.
const FaultNamespace = "http://schemas.microsoft.com/ws/2006/05/framing/faults/"

// Fault names defined by [MC-NMF] §2.2.5.
const (
	FaultConnectionDispatchFailed = "ConnectionDispatchFailed"
	FaultContentTypeInvalid       = "ContentTypeInvalid"
	FaultContentTypeTooLong       = "ContentTypeTooLong"
	FaultEndpointAccessDenied     = "EndpointAccessDenied"
	FaultEndpointNotFound         = "EndpointNotFound"
	FaultEndpointPaused           = "EndpointPaused"
	FaultEndpointUnavailable      = "EndpointUnavailable"
	FaultInvalidRecordSequence    = "InvalidRecordSequence"
	FaultMaxMessageSizeExceeded   = "MaxMessageSizeExceededFault"
	FaultServerTooBusy            = "ServerTooBusy"
	FaultServiceActivationFailed  = "ServiceActivationFailed"
	FaultUnsupportedMode          = "UnsupportedMode"
	FaultUnsupportedVersion       = "UnsupportedVersion"
	FaultUpgradeInvalid           = "UpgradeInvalid"
	FaultViaTooLong               = "ViaTooLong"
)

// faultMeanings are the §2.2.5 descriptions, shortened.
var faultMeanings = map[string]string{
	FaultConnectionDispatchFailed: "the endpoint exists but dispatching to it failed",
	FaultContentTypeInvalid:       "the envelope encoding is not supported by the endpoint",
	FaultContentTypeTooLong:       "the encoding record exceeded the receiver's content-type quota",
	FaultEndpointAccessDenied:     "the endpoint named by the Via cannot be accessed",
	FaultEndpointNotFound:         "the endpoint named by the Via cannot be found",
	FaultEndpointPaused:           "the endpoint named by the Via is paused",
	FaultEndpointUnavailable:      "the endpoint named by the Via is unavailable",
	FaultInvalidRecordSequence:    "the record sequence does not follow the framing grammar",
	FaultMaxMessageSizeExceeded:   "the message exceeded the receiver's maximum message size",
	FaultServerTooBusy:            "the endpoint lacks the resources to process the connection",
	FaultServiceActivationFailed:  "the endpoint's process cannot be activated",
	FaultUnsupportedMode:          "the mode is not supported by the destination",
	FaultUnsupportedVersion:       "the framing version is not supported by the destination",
	FaultUpgradeInvalid:           "the requested upgrade is not supported",
	FaultViaTooLong:               "the Via exceeded the receiver's quota",
}

// FaultURI returns the URI for a fault name: names without a scheme are
// put in FaultNamespace, anything else is returned unchanged.
func FaultURI(name string) string {
	if strings.Contains(name, ":") {
		return name
	}
	return FaultNamespace + name
}

// ErrFault is matched (errors.Is) by every *FaultError.
var ErrFault = errors.New("nmf: fault record received")

// FaultError reports a Fault record received from the peer.
type FaultError struct {
	// URI is the fault as received.
	URI string
	// Name is the part after FaultNamespace when URI is in that
	// namespace, otherwise empty.
	Name string
}

func newFaultError(uri string) *FaultError {
	e := &FaultError{URI: uri}
	if name, ok := strings.CutPrefix(uri, FaultNamespace); ok {
		e.Name = name
	}
	return e
}

// Known reports whether the fault is one of those §2.2.5 defines.
func (e *FaultError) Known() bool { _, ok := faultMeanings[e.Name]; return ok }

func (e *FaultError) Error() string {
	uri := e.URI
	if len(uri) > 300 {
		uri = uri[:300] + "…"
	}
	uri = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, uri)
	if m, ok := faultMeanings[e.Name]; ok {
		return fmt.Sprintf("nmf: peer sent framing fault %s (%s): %s", e.Name, uri, m)
	}
	return fmt.Sprintf("nmf: peer sent framing fault %q", uri)
}

// Is makes errors.Is(err, ErrFault) hold for every *FaultError.
func (e *FaultError) Is(target error) bool { return target == ErrFault }

// WriteFault writes a Fault record; fault is a name from this package
// (put in FaultNamespace) or a full URI.
func WriteFault(w io.Writer, fault string) error {
	return WriteRecord(w, FaultRecord{Fault: FaultURI(fault)})
}
