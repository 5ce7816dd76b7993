package wsq

import (
	"slices"
	"testing"
)

// Every kind of symbol (runs up to the 16-bit escape, coefficients in the
// table and in both escapes) survives coding and decoding.
func TestBlockRoundTrip(t *testing.T) {
	var coeffs []int32
	add := func(run int, v int32) {
		coeffs = append(coeffs, make([]int32, run)...)
		coeffs = append(coeffs, v)
	}
	for _, v := range []int32{1, -1, 74, -73, 75, -74, 255, -255, 256, -256, 40000, -65535} {
		add(0, v)
	}
	for _, run := range []int{1, 99, 100, 101, 255, 256, 65534, 65535, 65536, 140000} {
		add(run, 3)
	}
	coeffs = append(coeffs, make([]int32, 77)...) // ends in a run

	var freq [256]int
	symbols(coeffs, func(sym int, _ uint32, _ uint) { freq[sym]++ })
	counts, values, codes := buildCode(&freq)
	table, err := newHuffTable(counts, values)
	if err != nil {
		t.Fatal(err)
	}
	for sym, c := range codes {
		if c.len > 0 && c.bits == 1<<c.len-1 {
			t.Errorf("symbol %d has the all-ones code", sym)
		}
	}
	bw := bitWriter{out: []byte{0x00, 0x03, 0x00}} // SOB payload: table 0
	symbols(coeffs, func(sym int, extra uint32, n uint) {
		bw.write(codes[sym].bits, codes[sym].len)
		bw.write(extra, n)
	})
	bw.flush()
	d := decoder{
		data:  append(bw.out, 0xff, 0xa1),
		frame: &frameHeader{width: 1000, height: 1000},
	}
	d.tables[0] = table
	if err := d.block(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.coeffs, coeffs) {
		t.Fatalf("decoded %d coefficients, coded %d, or they differ", len(d.coeffs), len(coeffs))
	}
	if d.pos != len(d.data)-2 {
		t.Errorf("block ends at %d, the EOI marker is at %d", d.pos, len(d.data)-2)
	}
}

// A zero sent as a coefficient (escape or table symbol 180), which our
// encoder never writes but others may, is one zero coefficient.
func TestZeroCoefficientSymbol(t *testing.T) {
	counts := [16]int{0, 2} // two 2-bit codes: 00 -> 180, 01 -> 101
	table, err := newHuffTable(counts, []byte{180, symPos8})
	if err != nil {
		t.Fatal(err)
	}
	bw := bitWriter{out: []byte{0x00, 0x03, 0x00}}
	bw.write(0b00, 2)
	bw.write(0b01, 2)
	bw.write(0, 8)
	bw.flush()
	d := decoder{data: append(bw.out, 0xff, 0xa1), frame: &frameHeader{width: 100, height: 100}}
	d.tables[0] = table
	if err := d.block(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.coeffs, []int32{0, 0}) {
		t.Errorf("decoded %v, want two zeros", d.coeffs)
	}
}
