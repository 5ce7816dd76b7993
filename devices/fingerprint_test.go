package devices

import (
	"encoding/json"
	"testing"
)

func TestScanTypeJSONRoundTrip(t *testing.T) {
	for _, s := range []ScanType{ScanPress, ScanSwipe} {
		b, err := json.Marshal(FingerprintInfo{Scan: s})
		if err != nil {
			t.Fatal(err)
		}
		var back FingerprintInfo
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if back.Scan != s {
			t.Fatalf("%s: scan %v after a round trip, want %v", b, back.Scan, s)
		}
	}
	var s ScanType
	if err := s.UnmarshalText([]byte("rolled")); err == nil {
		t.Fatal("an unknown scan type parsed")
	}
}

func TestCaptureOptionsReportInOrder(t *testing.T) {
	var got []FingerEvent
	o := NewCaptureOptions(nil, OnFinger(func(e FingerEvent) { got = append(got, e) }))
	o.Report(FingerPresent)
	o.Report(FingerRemoved)
	if len(got) != 2 || got[0] != FingerPresent || got[1] != FingerRemoved {
		t.Fatalf("events %v", got)
	}
	NewCaptureOptions().Report(FingerPresent) // no callback: no panic
}

func TestFingerprintImageGray(t *testing.T) {
	img := &FingerprintImage{Width: 3, Height: 2, Pix: []byte{1, 2, 3, 4, 5, 6}}
	g := img.Gray()
	if g.Bounds().Dx() != 3 || g.Bounds().Dy() != 2 || g.GrayAt(2, 1).Y != 6 || g.GrayAt(0, 1).Y != 4 {
		t.Fatalf("gray view %v %v", g.Bounds(), g.Pix)
	}
}
