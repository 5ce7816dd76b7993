package iin

import "fmt"

// BIN is a validated business identification number of an organisation (a
// bank, an MFO). The zero BIN is not a valid number (IsZero reports it);
// every other BIN came out of ParseBIN. BIN is a comparable value, safe to
// copy and to use concurrently.
type BIN struct {
	s string
}

// ParseBIN validates s as a BIN: exactly 12 ASCII digits and digit 12 the
// check digit of digits 1-11, by the same rule as an IIN. Its errors wrap
// ErrLength, ErrNotDigits, ErrCheckDigit or ErrNeverIssued.
//
// Public descriptions of the BIN give more structure (digits 1-4 the
// registration year and month YYMM, digit 5 the kind of entity: 4 resident
// legal entity, 5 non-resident, 6 joint individual entrepreneurship; digit 6
// head office, branch or representative office). No normative text
// confirming it for every BIN ever issued was found, and rejecting a real
// organisation's BIN would stop all of its verifications, so ParseBIN does
// not enforce that structure.
func ParseBIN(s string) (BIN, error) {
	if err := checkNumber(s); err != nil {
		return BIN{}, fmt.Errorf("iin: parse BIN: %w", err)
	}
	return BIN{s: s}, nil
}

// IsZero reports whether b is the zero BIN, which ParseBIN never returns.
func (b BIN) IsZero() bool { return b.s == "" }

// String returns the 12 digits, or "" for the zero BIN.
func (b BIN) String() string { return b.s }
