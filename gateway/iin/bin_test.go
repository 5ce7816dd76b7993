package iin

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBIN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"bank, first weight set", "971240001315", nil},
		{"bank 2, first weight set", "940140000385", nil},
		{"second weight set", "950740000209", nil},
		{"digit 5 not enforced", withCheck(t, "95079000002"), nil},
		{"empty", "", ErrLength},
		{"short", "97124000131", ErrLength},
		{"letter", "97124000131X", ErrNotDigits},
		{"check digit first weight set", flipCheck("971240001315"), ErrCheckDigit},
		{"check digit second weight set", flipCheck("950740000209"), ErrCheckDigit},
		{"never issued", "950740000260", ErrNeverIssued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBIN(tt.in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ParseBIN: %v", err)
				}
				if b.String() != tt.in || b.IsZero() {
					t.Errorf("String = %q, IsZero = %v", b.String(), b.IsZero())
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseBIN error = %v, want %v", err, tt.want)
			}
			if !b.IsZero() {
				t.Error("ParseBIN returned a non-zero BIN with an error")
			}
			if !strings.HasPrefix(err.Error(), "iin: parse BIN: ") {
				t.Errorf("error %q lacks the prefix", err)
			}
		})
	}
	if firstPass("950740000209") != 10 {
		t.Error("950740000209 does not take the second weight set")
	}
	var zero BIN
	if !zero.IsZero() || zero.String() != "" {
		t.Error("zero BIN")
	}
}
