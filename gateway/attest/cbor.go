package attest

import (
	"encoding/binary"
	"errors"
)

// errCBOR: the data is not the CBOR subset an attestation object uses.
var errCBOR = errors.New("attest: malformed CBOR")

// decodeCBOR decodes one CBOR item (RFC 8949) of the subset Apple's
// attestation objects use: unsigned and negative integers, byte and text
// strings, arrays and maps with text keys, false, true and null; lengths
// definite, nesting at most maxDepth. Byte strings alias data.
func decodeCBOR(data []byte) (any, error) {
	v, rest, err := cborItem(data, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errCBOR
	}
	return v, nil
}

const maxDepth = 8

func cborItem(b []byte, depth int) (any, []byte, error) {
	if depth > maxDepth || len(b) == 0 {
		return nil, nil, errCBOR
	}
	major, info := b[0]>>5, b[0]&0x1f
	b = b[1:]
	var n uint64
	switch {
	case info < 24:
		n = uint64(info)
	case info == 24 && len(b) >= 1:
		n, b = uint64(b[0]), b[1:]
	case info == 25 && len(b) >= 2:
		n, b = uint64(binary.BigEndian.Uint16(b)), b[2:]
	case info == 26 && len(b) >= 4:
		n, b = uint64(binary.BigEndian.Uint32(b)), b[4:]
	case info == 27 && len(b) >= 8:
		n, b = binary.BigEndian.Uint64(b), b[8:]
	default: // indefinite lengths, reserved values, short data
		return nil, nil, errCBOR
	}
	switch major {
	case 0:
		return n, b, nil
	case 1:
		return -1 - int64(n&(1<<63-1)), b, nil
	case 2, 3:
		if n > uint64(len(b)) {
			return nil, nil, errCBOR
		}
		if major == 2 {
			return b[:n], b[n:], nil
		}
		return string(b[:n]), b[n:], nil
	case 4:
		if n > uint64(len(b)) { // each item takes at least a byte
			return nil, nil, errCBOR
		}
		arr := make([]any, 0, n)
		for i := uint64(0); i < n; i++ {
			var v any
			var err error
			if v, b, err = cborItem(b, depth+1); err != nil {
				return nil, nil, err
			}
			arr = append(arr, v)
		}
		return arr, b, nil
	case 5:
		if n > uint64(len(b))/2 {
			return nil, nil, errCBOR
		}
		m := make(map[string]any, n)
		for i := uint64(0); i < n; i++ {
			k, rest, err := cborItem(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, nil, errCBOR
			}
			if _, dup := m[key]; dup {
				return nil, nil, errCBOR
			}
			if m[key], b, err = cborItem(rest, depth+1); err != nil {
				return nil, nil, err
			}
		}
		return m, b, nil
	case 7:
		switch info {
		case 20:
			return false, b, nil
		case 21:
			return true, b, nil
		case 22:
			return nil, b, nil
		}
	}
	return nil, nil, errCBOR // tags, floats, other simple values
}
