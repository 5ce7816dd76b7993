package iin

import (
	"errors"
	"strings"
	"testing"
)

// refValid is an independent statement of the IIN rules: the written-out
// check digit, a century table and a days-in-month table with the
// Gregorian leap rule (no time package).
func refValid(s string) bool {
	if len(s) != 12 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	c, ok := refCheckDigit(s)
	if !ok || int(s[11]-'0') != c {
		return false
	}
	base := map[byte]int{'1': 1800, '2': 1800, '3': 1900, '4': 1900, '5': 2000, '6': 2000}[s[6]]
	if base == 0 {
		return false
	}
	y := base + int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[2]-'0')*10 + int(s[3]-'0')
	d := int(s[4]-'0')*10 + int(s[5]-'0')
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days[2] = 29
	}
	return m >= 1 && m <= 12 && d >= 1 && d <= days[m]
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"061211600012", "790303402568", "850115400911", "850115400900",
		"000229600503", "000229300015", "", "abc", "06121160001a", "999999999999",
	} {
		f.Add(s)
	}
	sentinels := []error{ErrLength, ErrNotDigits, ErrCheckDigit, ErrNeverIssued, ErrCentury, ErrBirthDate}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if want := refValid(s); (err == nil) != want {
			t.Fatalf("Parse(%q) error = %v, reference valid = %v", s, err, want)
		}
		if err != nil {
			matched := 0
			for _, e := range sentinels {
				if errors.Is(err, e) {
					matched++
				}
			}
			if matched != 1 {
				t.Fatalf("Parse(%q) error %v matches %d sentinels, want 1", s, err, matched)
			}
			if len(s) == Length && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q echoes the input", err)
			}
			if !n.IsZero() {
				t.Fatalf("Parse(%q) returned a value with an error", s)
			}
			return
		}
		if n.String() != s {
			t.Fatalf("String() = %q, want %q", n.String(), s)
		}
		again, err := Parse(n.String())
		if err != nil || again != n {
			t.Fatalf("round trip: %v, %v", again, err)
		}
		if got := n.BirthDate().Format("060102"); got != s[:6] {
			t.Fatalf("BirthDate %s does not encode as %s", got, s[:6])
		}
		if wantMale := (s[6]-'0')%2 == 1; (n.Sex() == Male) != wantMale || n.Sex() == SexUnknown {
			t.Fatalf("Sex = %v for digit 7 = %c", n.Sex(), s[6])
		}
		if _, err := ParseBIN(s); err != nil {
			t.Fatalf("a valid IIN fails the BIN rules: %v", err)
		}
	})
}

func FuzzParseBIN(f *testing.F) {
	for _, s := range []string{"971240001315", "950740000209", "950740000260", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBIN(s)
		want := len(s) == 12 && strings.Trim(s, "0123456789") == ""
		if want {
			c, ok := refCheckDigit(s)
			want = ok && int(s[11]-'0') == c
		}
		if (err == nil) != want {
			t.Fatalf("ParseBIN(%q) error = %v, reference valid = %v", s, err, want)
		}
		if err == nil && b.String() != s {
			t.Fatalf("String() = %q", b.String())
		}
	})
}
