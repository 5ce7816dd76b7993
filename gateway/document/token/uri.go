package token

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// URI is a PKCS#11 URI (RFC 7512) naming a signing key on a token:
//
//	pkcs11:token=biogate;object=doc-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/biogate/pin
//
// Path attributes: token (the token's label, required), object (the key's
// CKA_LABEL, required), serial (the token's serial number), slot-id, and
// type (must be "private" when given). Query attributes: module-path (the
// PKCS#11 library, required), pin-source (file:PATH or a bare PATH: the
// first line of the file is the user PIN) and pin-value (the PIN itself;
// prefer pin-source, a URI is often logged). Values are percent-decoded;
// unknown attributes are an error, so a typo never selects another key.
type URI struct {
	Token, Object, Serial string
	// SlotID is the slot's id when the URI names one (HasSlotID).
	SlotID    uint
	HasSlotID bool
	// ModulePath is the PKCS#11 library.
	ModulePath string
	// PINSource is the file holding the PIN, PINValue the PIN itself.
	PINSource, PINValue string
}

// ErrURI: the URI is not a PKCS#11 URI this package reads.
var ErrURI = errors.New("bad PKCS#11 URI")

// IsURI reports whether s is a PKCS#11 URI (starts "pkcs11:"), as opposed
// to the file key of the data folder.
func IsURI(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "pkcs11:") }

// ParseURI reads a PKCS#11 URI. Its errors never contain the PIN.
func ParseURI(s string) (URI, error) {
	var u URI
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "pkcs11:")
	if !ok {
		return u, fmt.Errorf("%w: does not start with pkcs11:", ErrURI)
	}
	path, query, _ := strings.Cut(rest, "?")
	seen := map[string]bool{}
	attr := func(part string) (string, string, error) {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return "", "", fmt.Errorf("%w: attribute %q without a value", ErrURI, redactAttr(k))
		}
		if seen[k] {
			return "", "", fmt.Errorf("%w: attribute %s twice", ErrURI, k)
		}
		seen[k] = true
		dv, err := url.PathUnescape(v)
		if err != nil {
			return "", "", fmt.Errorf("%w: attribute %s: bad percent-encoding", ErrURI, k)
		}
		return k, dv, nil
	}
	for _, part := range strings.Split(path, ";") {
		if part == "" {
			continue
		}
		k, v, err := attr(part)
		if err != nil {
			return URI{}, err
		}
		switch k {
		case "token":
			u.Token = v
		case "object":
			u.Object = v
		case "serial":
			u.Serial = v
		case "slot-id":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return URI{}, fmt.Errorf("%w: slot-id %q is not a number", ErrURI, v)
			}
			u.SlotID, u.HasSlotID = uint(n), true
		case "type":
			if v != "private" {
				return URI{}, fmt.Errorf("%w: type=%s: the signing key is a private key (type=private)", ErrURI, v)
			}
		default:
			return URI{}, fmt.Errorf("%w: unknown path attribute %q", ErrURI, k)
		}
	}
	if query != "" {
		for _, part := range strings.Split(query, "&") {
			if part == "" {
				continue
			}
			k, v, err := attr(part)
			if err != nil {
				return URI{}, err
			}
			switch k {
			case "module-path":
				u.ModulePath = v
			case "pin-source":
				u.PINSource = strings.TrimPrefix(v, "file:")
			case "pin-value":
				u.PINValue = v
			default:
				return URI{}, fmt.Errorf("%w: unknown query attribute %q", ErrURI, k)
			}
		}
	}
	switch {
	case u.Token == "" && u.Serial == "" && !u.HasSlotID:
		return URI{}, fmt.Errorf("%w: no token (token=LABEL)", ErrURI)
	case u.Object == "":
		return URI{}, fmt.Errorf("%w: no object (object=LABEL, the key's label)", ErrURI)
	case u.ModulePath == "":
		return URI{}, fmt.Errorf("%w: no module-path (the PKCS#11 library)", ErrURI)
	case u.PINSource != "" && u.PINValue != "":
		return URI{}, fmt.Errorf("%w: both pin-source and pin-value", ErrURI)
	}
	return u, nil
}

// redactAttr keeps a malformed attribute out of an error when it could be
// a PIN.
func redactAttr(k string) string {
	if len(k) > 32 {
		return k[:32] + "..."
	}
	return k
}

// PIN returns the user PIN: pin-value, else the first line of the
// pin-source file, else "" (a token without login).
func (u URI) PIN() (string, error) {
	if u.PINValue != "" {
		return u.PINValue, nil
	}
	if u.PINSource == "" {
		return "", nil
	}
	b, err := os.ReadFile(u.PINSource)
	if err != nil {
		return "", fmt.Errorf("pin-source: %w", err)
	}
	pin, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(pin, "\r"), nil
}

// String returns the URI with the PIN (pin-value) left out: the form for
// logs and errors.
func (u URI) String() string {
	var path []string
	add := func(k, v string) {
		if v != "" {
			path = append(path, k+"="+url.PathEscape(v))
		}
	}
	add("token", u.Token)
	add("serial", u.Serial)
	if u.HasSlotID {
		add("slot-id", strconv.FormatUint(uint64(u.SlotID), 10))
	}
	add("object", u.Object)
	q := "module-path=" + url.PathEscape(u.ModulePath)
	if u.PINSource != "" {
		q += "&pin-source=file:" + url.PathEscape(u.PINSource)
	}
	if u.PINValue != "" {
		q += "&pin-value=REDACTED"
	}
	return "pkcs11:" + strings.Join(path, ";") + "?" + q
}

// tokenName names the token in errors.
func (u URI) tokenName() string {
	switch {
	case u.Token != "":
		return strconv.Quote(u.Token)
	case u.Serial != "":
		return "serial " + u.Serial
	}
	return "slot " + strconv.FormatUint(uint64(u.SlotID), 10)
}
