// Package iin parses and validates Kazakhstan's 12-digit identification
// numbers: the IIN of a person and the BIN of an organisation.
//
// An IIN is personal data (it encodes the birth date and sex of a person).
// Errors returned by this package say which rule failed but never contain
// the number itself, so they can be logged; callers that log an IIN on
// purpose should use [IIN.Masked].
package iin

import (
	"errors"
	"fmt"
	"time"
)

// Length is the number of digits in an IIN or a BIN.
const Length = 12

// Sentinel errors, one per rule. Parse and ParseBIN wrap them with a message
// saying which rule failed; classify with errors.Is.
var (
	// ErrLength: the input is not exactly 12 characters long.
	ErrLength = errors.New("wrong length")
	// ErrNotDigits: the input holds a character other than ASCII 0-9.
	ErrNotDigits = errors.New("not all digits")
	// ErrCheckDigit: digit 12 is not the check digit of digits 1-11.
	ErrCheckDigit = errors.New("check digit mismatch")
	// ErrNeverIssued: both weight sets of the check-digit rule give 10, so
	// no check digit exists and the number is never issued.
	ErrNeverIssued = errors.New("never issued")
	// ErrCentury: digit 7 (century and sex) is not 1-6.
	ErrCentury = errors.New("invalid century and sex digit")
	// ErrBirthDate: digits 1-6 (YYMMDD) are not a calendar date in the
	// century given by digit 7.
	ErrBirthDate = errors.New("invalid birth date")
)

// Sex of a person as encoded in digit 7 of the IIN.
type Sex uint8

// Sexes. The zero Sex is SexUnknown, what a zero IIN reports.
const (
	SexUnknown Sex = iota
	Male
	Female
)

// String returns "male", "female" or "unknown".
func (s Sex) String() string {
	switch s {
	case Male:
		return "male"
	case Female:
		return "female"
	default:
		return "unknown"
	}
}

// IIN is a validated individual identification number. The zero IIN is not
// a valid number (IsZero reports it); every other IIN came out of Parse and
// satisfies all of its rules. IIN is a comparable value, safe to copy and to
// use concurrently.
type IIN struct {
	s string
}

// Parse validates s as an IIN: exactly 12 ASCII digits; digit 12 the check
// digit of digits 1-11 (see checkDigit); digit 7 in 1-6 (1/2 born in the
// 1800s, 3/4 in the 1900s, 5/6 in the 2000s; odd male, even female); digits
// 1-6 a calendar date YYMMDD in that century. Rules are checked in that
// order and the first that fails is reported, wrapping one of ErrLength,
// ErrNotDigits, ErrCheckDigit, ErrNeverIssued, ErrCentury, ErrBirthDate.
//
// Parse does not trim or normalise its input, and does not reject birth
// dates in the future (it has no clock). The error never contains s.
func Parse(s string) (IIN, error) {
	if err := checkNumber(s); err != nil {
		return IIN{}, fmt.Errorf("iin: parse IIN: %w", err)
	}
	if _, _, ok := century(s[6]); !ok {
		return IIN{}, fmt.Errorf("iin: parse IIN: %w: digit 7 must be 1-6", ErrCentury)
	}
	if _, ok := birthDate(s); !ok {
		return IIN{}, fmt.Errorf("iin: parse IIN: %w: digits 1-6 are not a calendar date YYMMDD", ErrBirthDate)
	}
	return IIN{s: s}, nil
}

// IsZero reports whether n is the zero IIN, which Parse never returns.
func (n IIN) IsZero() bool { return n.s == "" }

// String returns the 12 digits, or "" for the zero IIN. The result is
// personal data: see Masked for logs.
func (n IIN) String() string { return n.s }

// Masked returns the IIN with all but the last 4 digits replaced by '*'
// ("********2568"), for log lines and support screens; "" for the zero IIN.
func (n IIN) Masked() string {
	if n.s == "" {
		return ""
	}
	return "********" + n.s[8:]
}

// BirthDate returns the birth date encoded in the IIN, at midnight UTC; the
// zero time for the zero IIN.
func (n IIN) BirthDate() time.Time {
	if n.s == "" {
		return time.Time{}
	}
	t, _ := birthDate(n.s)
	return t
}

// Sex returns the sex encoded in digit 7; SexUnknown for the zero IIN.
func (n IIN) Sex() Sex {
	if n.s == "" {
		return SexUnknown
	}
	_, sex, _ := century(n.s[6])
	return sex
}

// century maps digit 7 to the first year of the century and the sex.
func century(d byte) (base int, sex Sex, ok bool) {
	switch d {
	case '1', '2':
		base = 1800
	case '3', '4':
		base = 1900
	case '5', '6':
		base = 2000
	default:
		return 0, SexUnknown, false
	}
	if (d-'0')%2 == 1 {
		return base, Male, true
	}
	return base, Female, true
}

// birthDate decodes digits 1-6 of an IIN whose digit 7 is valid.
func birthDate(s string) (time.Time, bool) {
	base, _, ok := century(s[6])
	if !ok {
		return time.Time{}, false
	}
	year := base + twoDigits(s[0:2])
	month := twoDigits(s[2:4])
	day := twoDigits(s[4:6])
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	// time.Date normalises out-of-range values (Feb 30 becomes Mar 2): a
	// real date is one that survives the round trip.
	if t.Year() != year || int(t.Month()) != month || t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

func twoDigits(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }
