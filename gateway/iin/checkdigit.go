package iin

import "fmt"

// Weights of the check-digit rule shared by IIN and BIN: the first pass
// weighs digits 1-11 by 1..11; if that gives 10, the second pass weighs
// them by 3..11,1,2; if that gives 10 too, the number is never issued.
var (
	weights1 = [Length - 1]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	weights2 = [Length - 1]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2}
)

// checkDigit returns the check digit of the first 11 digits of s, which
// must be ASCII digits, and false if the number can never be issued.
func checkDigit(s string) (int, bool) {
	for _, w := range [...]*[Length - 1]int{&weights1, &weights2} {
		sum := 0
		for i, wi := range w {
			sum += int(s[i]-'0') * wi
		}
		if c := sum % 11; c != 10 {
			return c, true
		}
	}
	return 0, false
}

// checkNumber applies the rules IIN and BIN share: length, digits, check
// digit. Its errors wrap the package's sentinels and never contain s.
func checkNumber(s string) error {
	if len(s) != Length {
		return fmt.Errorf("%w: got %d bytes, want %d digits", ErrLength, len(s), Length)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%w: character %d is not 0-9", ErrNotDigits, i+1)
		}
	}
	c, ok := checkDigit(s)
	if !ok {
		return fmt.Errorf("%w: both weight sets of the check-digit rule give 10", ErrNeverIssued)
	}
	if int(s[Length-1]-'0') != c {
		return fmt.Errorf("%w: digit 12 does not match digits 1-11", ErrCheckDigit)
	}
	return nil
}
