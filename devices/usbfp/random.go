package usbfp

import (
	"crypto/rand"
	"encoding/binary"
)

// RandomSource supplies the 32-bit random words a driver needs (the uru4000
// family's image-encryption seed). It need not be safe for concurrent use:
// the manager gives each capture its own draw under a lock.
type RandomSource interface {
	Uint32() uint32
}

// CryptoRandom draws from crypto/rand. It is the production source.
type CryptoRandom struct{}

// Uint32 returns 32 bits from crypto/rand.
func (CryptoRandom) Uint32() uint32 {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read does not fail on Linux (getrandom); if it ever
		// did, a predictable seed here only weakens a USB obfuscation.
		panic("usbfp: crypto/rand: " + err.Error())
	}
	return binary.LittleEndian.Uint32(b[:])
}

// GLibRand reproduces GLib's GRand (MT19937 with GLib's seeding, the
// algorithm of GLib 2.2 and later) so that a replay of libfprint's
// recordings, made with g_random_set_seed(0xFACADE), sends the same bytes.
// It is for tests; it is not safe for concurrent use.
type GLibRand struct {
	mt  [624]uint32
	mti int
}

// GLibEmulationSeed is the seed libfprint gives GLib's generator when it
// runs under emulation (FP_DEVICE_EMULATION=1), as in its recordings.
const GLibEmulationSeed = 0xFACADE

// NewGLibRand returns a generator in the state of g_rand_new_with_seed(seed)
// (equivalently g_random_set_seed(seed) for g_random_*).
func NewGLibRand(seed uint32) *GLibRand {
	r := &GLibRand{}
	r.mt[0] = seed
	for i := 1; i < len(r.mt); i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.mti = len(r.mt)
	return r
}

// Uint32 is g_rand_int: the next MT19937 output.
func (r *GLibRand) Uint32() uint32 {
	const n, m = 624, 397
	const upper, lower, matrixA = 0x80000000, 0x7fffffff, 0x9908b0df
	if r.mti >= n {
		mag := [2]uint32{0, matrixA}
		var kk int
		for ; kk < n-m; kk++ {
			y := r.mt[kk]&upper | r.mt[kk+1]&lower
			r.mt[kk] = r.mt[kk+m] ^ y>>1 ^ mag[y&1]
		}
		for ; kk < n-1; kk++ {
			y := r.mt[kk]&upper | r.mt[kk+1]&lower
			r.mt[kk] = r.mt[kk+(m-n)] ^ y>>1 ^ mag[y&1]
		}
		y := r.mt[n-1]&upper | r.mt[0]&lower
		r.mt[n-1] = r.mt[m-1] ^ y>>1 ^ mag[y&1]
		r.mti = 0
	}
	y := r.mt[r.mti]
	r.mti++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// intRange is g_rand_int_range(begin, end) over any source: a value in
// [begin, end) without modulo bias, drawing words the way GLib does so that
// a GLibRand gives GLib's numbers.
func intRange(r RandomSource, begin, end int32) int32 {
	dist := uint32(end - begin)
	if end <= begin || dist == 0 {
		return begin
	}
	var maxValue uint32
	if dist <= 0x80000000 {
		leftover := (0x80000000 % dist) * 2
		if leftover >= dist {
			leftover -= dist
		}
		maxValue = 0xffffffff - leftover
	} else {
		maxValue = dist - 1
	}
	v := r.Uint32()
	for v > maxValue {
		v = r.Uint32()
	}
	return begin + int32(v%dist)
}
