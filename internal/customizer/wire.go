package customizer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The parent and a worker exchange frames over the worker's stdin and
// stdout: a 4-byte little-endian length, then the body.
//
// A request body: 8-byte script id, 4-byte timeout in ms, 4-byte source
// length, the source (empty when the worker already has that script),
// then the input JSON.
//
// A response body: one status byte (statusOK, statusDenied, statusFailed);
// for statusOK the claims JSON, for statusDenied the message, for
// statusFailed one kind byte then a 4-byte message length, the message and
// the detail.
const (
	statusOK byte = iota
	statusDenied
	statusFailed
)

// maxFrame bounds a frame either way: a script's claims beyond it are
// refused (they would not fit a token anyone could send).
const maxFrame = 4 << 20

var kinds = []Kind{KindSyntax, KindType, KindRuntime, KindTimeout, KindMemory}

var errFrameTooLarge = errors.New("customizer: frame too large")

// writeFrame writes one frame made of parts.
func writeFrame(w io.Writer, buf []byte, parts ...[]byte) ([]byte, error) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > maxFrame {
		return buf, errFrameTooLarge
	}
	buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(n))
	for _, p := range parts {
		buf = append(buf, p...)
	}
	_, err := w.Write(buf)
	return buf, err
}

// readFrame reads one frame into buf (grown as needed).
func readFrame(r io.Reader, buf []byte) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return buf, err
	}
	n := binary.LittleEndian.Uint32(h[:])
	if n > maxFrame {
		return buf, errFrameTooLarge
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// request is a decoded request frame.
type request struct {
	id      uint64
	timeout uint32 // ms
	src     []byte
	input   []byte
}

func appendRequestHead(b []byte, id uint64, timeoutMs uint32, srcLen int) []byte {
	b = binary.LittleEndian.AppendUint64(b, id)
	b = binary.LittleEndian.AppendUint32(b, timeoutMs)
	return binary.LittleEndian.AppendUint32(b, uint32(srcLen))
}

func decodeRequest(b []byte) (request, error) {
	if len(b) < 16 {
		return request{}, fmt.Errorf("customizer: short request")
	}
	r := request{id: binary.LittleEndian.Uint64(b), timeout: binary.LittleEndian.Uint32(b[8:])}
	n := binary.LittleEndian.Uint32(b[12:])
	b = b[16:]
	if uint64(n) > uint64(len(b)) {
		return request{}, fmt.Errorf("customizer: bad request")
	}
	r.src, r.input = b[:n], b[n:]
	return r, nil
}

// appendFailure encodes a statusFailed body.
func appendFailure(b []byte, e *Error) []byte {
	k := byte(0)
	for i, x := range kinds {
		if x == e.Kind {
			k = byte(i)
		}
	}
	b = append(b, statusFailed, k)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Message)))
	b = append(b, e.Message...)
	return append(b, e.Detail...)
}

// decodeResponse turns a response body into Run's result.
func decodeResponse(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("customizer: empty response")
	}
	switch b[0] {
	case statusOK:
		return append([]byte(nil), b[1:]...), nil
	case statusDenied:
		return nil, &Denied{Message: string(b[1:])}
	case statusFailed:
		if len(b) < 6 || int(b[1]) >= len(kinds) {
			return nil, fmt.Errorf("customizer: bad response")
		}
		kind, n := kinds[b[1]], binary.LittleEndian.Uint32(b[2:])
		b = b[6:]
		if uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("customizer: bad response")
		}
		return nil, &Error{Kind: kind, Message: string(b[:n]), Detail: string(b[n:])}
	}
	return nil, fmt.Errorf("customizer: bad response status %d", b[0])
}
