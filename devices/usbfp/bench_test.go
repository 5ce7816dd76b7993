package usbfp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
)

// BenchmarkReplayCapture runs one capture per recording under umockdev-run
// per iteration (a recording holds one capture) and reports, from inside the
// capturing process: the capture's wall time, the CPU time the process spent
// (driver, gousb, libusb and the replay's preload; not process start), and
// the bytes allocated by the capture.
func BenchmarkReplayCapture(b *testing.B) {
	for _, name := range []string{"uru4000-4500", "nb1010", "upektc_img"} {
		b.Run(name, func(b *testing.B) {
			dir := recordingDir(b, name)
			var wall, cpu, alloc float64
			for i := 0; i < b.N; i++ {
				out := runChildTB(b, dir, dir, "bench")
				_, line, ok := strings.Cut(out, "BENCH ")
				if !ok {
					b.Fatalf("no BENCH line:\n%s", out)
				}
				line, _, _ = strings.Cut(line, "\n")
				var w, c, a int64
				if _, err := fmt.Sscanf(line, "wall_ns=%d cpu_ns=%d alloc_bytes=%d", &w, &c, &a); err != nil {
					b.Fatalf("BENCH line %q: %v", line, err)
				}
				wall += float64(w)
				cpu += float64(c)
				alloc += float64(a)
			}
			n := float64(b.N)
			b.ReportMetric(wall/n/1e6, "capture-ms/op")
			b.ReportMetric(cpu/n/1e6, "cpu-ms/op")
			b.ReportMetric(alloc/n, "capture-B/op")
		})
	}
}

// childBench is the child side of BenchmarkReplayCapture.
func childBench(t *testing.T, m *Manager, dir string) {
	s, err := m.Acquire(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ru0, ru1 syscall.Rusage
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	img, err := s.Capture(t.Context())
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	runtime.ReadMemStats(&ms1)
	if err != nil {
		t.Fatal(err)
	}
	compareWithLibfprint(t, img, dir)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	fmt.Printf("BENCH wall_ns=%d cpu_ns=%d alloc_bytes=%d\n", wall.Nanoseconds(), cpu.Nanoseconds(), ms1.TotalAlloc-ms0.TotalAlloc)
}

// BenchmarkURU4000Descramble measures the driver's own work on one recorded
// U.are.U 4500 frame: descrambling with the recorded key and assembling,
// flipping and inverting the image (no USB).
func BenchmarkURU4000Descramble(b *testing.B) {
	dir := recordingDir(b, "uru4000-4500")
	frame, keyReg := uruRecordedFrame(b, filepath.Join(dir, "capture.pcapng"))
	seed := uint32(intRange(NewGLibRand(GLibEmulationSeed), 0, 0x7fffffff))
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		raw := make([]byte, uruImageSize)
		copy(raw, frame)
		uruDescrambleRecorded(raw, binary.LittleEndian.Uint32(keyReg)^seed)
	}
}

// TestURU4000DescrambleRecordedFrame checks the descrambler alone against
// libfprint's image, without USB: the recorded frame and key register give
// capture.png.
func TestURU4000DescrambleRecordedFrame(t *testing.T) {
	dir := recordingDir(t, "uru4000-4500")
	frame, keyReg := uruRecordedFrame(t, filepath.Join(dir, "capture.pcapng"))
	seed := uint32(intRange(NewGLibRand(GLibEmulationSeed), 0, 0x7fffffff))
	raw := make([]byte, uruImageSize)
	copy(raw, frame)
	img := uruDescrambleRecorded(raw, binary.LittleEndian.Uint32(keyReg)^seed)
	compareWithLibfprint(t, img, dir)
}

// uruDescrambleRecorded runs the imaging steps after the key was read, for
// a frame that needs no key change (as the recorded one).
func uruDescrambleRecorded(raw []byte, key uint32) *devices.FingerprintImage {
	numLines := int(binary.LittleEndian.Uint16(raw[4:]))
	blocks, data := raw[16:46], raw[uruHeaderSize:]
	done := 0
	for blk := 0; blk < 15 && done < numLines; blk++ {
		flags, n := blocks[2*blk], int(blocks[2*blk+1])
		if n == 0 {
			break
		}
		switch flags & (blockNoKeyUpdate | blockEncrypted) {
		case blockEncrypted:
			key = uruDecode(data[done*uruWidth:(done+n)*uruWidth], key)
		case 0:
			for r := 0; r < uruWidth*n; r++ {
				key = uruUpdateKey(key)
			}
		}
		if flags&blockNotPresent == 0 {
			done += n
		}
	}
	return uruAssemble(blocks, data, numLines, dpURU4000B)
}

// uruRecordedFrame returns the image frame (bulk IN on 0x82) and the key
// register read (4 bytes of control IN) from the recording.
func uruRecordedFrame(tb testing.TB, path string) (frame, key []byte) {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	for off := 0; off+12 <= len(raw); {
		typ := binary.LittleEndian.Uint32(raw[off:])
		n := int(binary.LittleEndian.Uint32(raw[off+4:]))
		block := raw[off : off+n]
		off += n
		if typ != 6 {
			continue
		}
		capLen := int(binary.LittleEndian.Uint32(block[20:]))
		pkt := block[28 : 28+capLen]
		event, xfer, ep := pkt[8], pkt[9], pkt[10]
		data := pkt[64:]
		switch {
		case event == 'C' && xfer == 3 && ep == 0x82 && frame == nil:
			frame = bytes.Clone(data)
		case event == 'C' && xfer == 2 && ep == 0x80 && len(data) == 4 && key == nil:
			key = bytes.Clone(data)
		}
	}
	if frame == nil || key == nil {
		tb.Fatalf("%s: no image frame or key read found", path)
	}
	return frame, key
}
