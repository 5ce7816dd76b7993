package iin

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// refCheckDigit is an independent, deliberately plain statement of the
// check-digit rule in DOMAIN.md, for tests and the fuzzer.
func refCheckDigit(s string) (int, bool) {
	d := make([]int, 11)
	for i := range d {
		d[i] = int(s[i] - '0')
	}
	c := (d[0]*1 + d[1]*2 + d[2]*3 + d[3]*4 + d[4]*5 + d[5]*6 + d[6]*7 + d[7]*8 + d[8]*9 + d[9]*10 + d[10]*11) % 11
	if c == 10 {
		c = (d[0]*3 + d[1]*4 + d[2]*5 + d[3]*6 + d[4]*7 + d[5]*8 + d[6]*9 + d[7]*10 + d[8]*11 + d[9]*1 + d[10]*2) % 11
	}
	return c, c != 10
}

// firstPass reports the first-pass remainder, to show which path a test
// number takes.
func firstPass(s string) int {
	sum := 0
	for i := 0; i < 11; i++ {
		sum += int(s[i]-'0') * (i + 1)
	}
	return sum % 11
}

// withCheck appends the check digit to 11 digits.
func withCheck(t *testing.T, prefix string) string {
	t.Helper()
	c, ok := refCheckDigit(prefix)
	if !ok {
		t.Fatalf("withCheck(%q): never issued", prefix)
	}
	return prefix + string(rune('0'+c))
}

// flipCheck returns s with a wrong check digit.
func flipCheck(s string) string {
	last := (s[11]-'0'+1)%10 + '0'
	return s[:11] + string(rune(last))
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		birth     string // YYYY-MM-DD
		sex       Sex
		firstPass bool // the first weight set decides the check digit
	}{
		{"public example 2000s female, second weight set", "061211600012", "2006-12-11", Female, false},
		{"public example 1900s female", "790303402568", "1979-03-03", Female, true},
		{"second weight set 1900s female", "850115400911", "1985-01-15", Female, false},
		{"second weight set leap day 2000", "000229600503", "2000-02-29", Female, false},
		{"second weight set last day of year", "991231300408", "1999-12-31", Male, false},
		{"second weight set 1800s male", "770228100701", "1877-02-28", Male, false},
		{"1800s female", withCheck(t, "99010120001"), "1899-01-01", Female, true},
		{"2000s male", withCheck(t, "24022950001"), "2024-02-29", Male, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstPass(tt.in) != 10; got != tt.firstPass {
				t.Fatalf("test number %s: first pass decides = %v, want %v", tt.in, got, tt.firstPass)
			}
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if n.String() != tt.in {
				t.Errorf("String = %q, want %q", n.String(), tt.in)
			}
			if got := n.BirthDate().Format(time.DateOnly); got != tt.birth {
				t.Errorf("BirthDate = %s, want %s", got, tt.birth)
			}
			if n.BirthDate().Location() != time.UTC {
				t.Errorf("BirthDate location = %v, want UTC", n.BirthDate().Location())
			}
			if n.Sex() != tt.sex {
				t.Errorf("Sex = %v, want %v", n.Sex(), tt.sex)
			}
			if n.IsZero() {
				t.Error("IsZero = true for a parsed IIN")
			}
			if m := n.Masked(); m != "********"+tt.in[8:] {
				t.Errorf("Masked = %q", m)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrLength},
		{"11 digits", "06121160001", ErrLength},
		{"13 digits", "0612116000120", ErrLength},
		{"multibyte 12 runes", "06121160001٢", ErrLength},
		{"letter", "06121160001a", ErrNotDigits},
		{"space", "061211 00012", ErrNotDigits},
		{"leading sign", "+61211600012", ErrNotDigits},
		{"check digit first weight set", flipCheck("790303402568"), ErrCheckDigit},
		{"check digit second weight set", flipCheck("850115400911"), ErrCheckDigit},
		{"never issued 1985", "850115400900", ErrNeverIssued},
		{"never issued any last digit", "850115400907", ErrNeverIssued},
		{"never issued 2000", "000229600595", ErrNeverIssued},
		{"never issued 1877", "770228101503", ErrNeverIssued},
		{"century digit 0", withCheck(t, "79030300256"), ErrCentury},
		{"century digit 7", withCheck(t, "79030370256"), ErrCentury},
		{"century digit 8", withCheck(t, "79030380256"), ErrCentury},
		{"century digit 9", withCheck(t, "79030390257"), ErrCentury},
		{"month 00", withCheck(t, "79000340256"), ErrBirthDate},
		{"month 13", withCheck(t, "79130340256"), ErrBirthDate},
		{"day 00", withCheck(t, "79030040256"), ErrBirthDate},
		{"day 32", withCheck(t, "79013240256"), ErrBirthDate},
		{"April 31", withCheck(t, "79043140256"), ErrBirthDate},
		{"Feb 29 1900 not leap", withCheck(t, "00022930001"), ErrBirthDate},
		{"Feb 29 1800 not leap", withCheck(t, "00022910001"), ErrBirthDate},
		{"Feb 29 2023 not leap", withCheck(t, "23022950001"), ErrBirthDate},
		{"Feb 30 2000", withCheck(t, "00023060001"), ErrBirthDate},
	}
	sentinels := []error{ErrLength, ErrNotDigits, ErrCheckDigit, ErrNeverIssued, ErrCentury, ErrBirthDate}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			for _, s := range sentinels {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("error also matches %v", s)
				}
			}
			if !n.IsZero() {
				t.Errorf("Parse returned a non-zero IIN with an error")
			}
			if len(tt.in) >= 8 && strings.Contains(err.Error(), tt.in) {
				t.Errorf("error %q echoes the input", err)
			}
			if !strings.HasPrefix(err.Error(), "iin: parse IIN: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestNeverIssuedNumbers checks the never-issued test numbers really fail
// both weight sets, so the ErrNeverIssued cases above test that path.
func TestNeverIssuedNumbers(t *testing.T) {
	for _, s := range []string{"850115400900", "000229600595", "770228101503", "950740000260"} {
		if _, ok := refCheckDigit(s); ok {
			t.Errorf("%s has a check digit", s)
		}
		if firstPass(s) != 10 {
			t.Errorf("%s: first pass = %d, want 10", s, firstPass(s))
		}
	}
}

func TestZeroIIN(t *testing.T) {
	var n IIN
	if !n.IsZero() || n.String() != "" || n.Masked() != "" || !n.BirthDate().IsZero() || n.Sex() != SexUnknown {
		t.Errorf("zero IIN: IsZero=%v String=%q Masked=%q BirthDate=%v Sex=%v",
			n.IsZero(), n.String(), n.Masked(), n.BirthDate(), n.Sex())
	}
}

func TestSexString(t *testing.T) {
	for s, want := range map[Sex]string{SexUnknown: "unknown", Male: "male", Female: "female", Sex(9): "unknown"} {
		if got := s.String(); got != want {
			t.Errorf("Sex(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestCheckDigitAgreesWithReference(t *testing.T) {
	// Every 11-digit prefix over a stride of the space: the package's
	// loop and the written-out rule agree.
	for i := 0; i < 100_000_000_000; i += 7_919_993 {
		s := strings.Repeat("0", 11-len(itoa(i))) + itoa(i)
		c1, ok1 := checkDigit(s)
		c2, ok2 := refCheckDigit(s)
		if ok1 != ok2 || (ok1 && c1 != c2) {
			t.Fatalf("%s: checkDigit = %d,%v; reference = %d,%v", s, c1, ok1, c2, ok2)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
