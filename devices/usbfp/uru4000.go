// Digital Persona U.are.U 4000/4000B/4500 and Microsoft Fingerprint Reader
// driver, ported to Go from libfprint's libfprint/drivers/uru4000.c
// (libfprint v1.94.7):
//
//	Copyright (C) 2007-2008 Daniel Drake <dsd@gentoo.org>
//	Copyright (C) 2012 Timo Teräs <timo.teras@iki.fi>
//
// This file is free software; you can redistribute it and/or modify it
// under the terms of the GNU Lesser General Public License as published by
// the Free Software Foundation; either version 2.1 of the License, or (at
// your option) any later version. See LICENSE in this folder.

package usbfp

import (
	"context"
	"crypto/aes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/biogate/biogate/devices"
)

const (
	uruEPIntr     = 1 // interrupt IN endpoint 0x81
	uruEPData     = 2 // bulk IN endpoint 0x82
	uruRequest    = 0x04
	uruIRQLength  = 64
	uruCRLength   = 16
	uruWidth      = 384
	uruHeight     = 290
	uruHeaderSize = 64
	// uruImageSize is sizeof(struct uru4k_image): the 64-byte header and a
	// full frame; the device sends fewer lines.
	uruImageSize    = uruHeaderSize + uruWidth*uruHeight
	uruEncThreshold = 5000

	irqScanPowerOn = 0x56aa
	irqFingerOn    = 0x0101
	irqFingerOff   = 0x0200

	regHWStat            = 0x07
	regScrambleDataIndex = 0x33
	regScrambleDataKey   = 0x34
	regMode              = 0x4e
	regDeviceInfo        = 0xf0
	regResponse          = 0x2000
	regChallenge         = 0x2010

	modeAwaitFingerOn  = 0x10
	modeAwaitFingerOff = 0x12
	modeCapture        = 0x20
	modeOff            = 0x70

	blockChangeKey   = 0x80
	blockNoKeyUpdate = 0x04
	blockEncrypted   = 0x02
	blockNotPresent  = 0x01
)

// uruProfile is libfprint's uru4k_dev_profile.
type uruProfile struct {
	authCR bool // 2nd generation MS devices: AES challenge-response
	// imageNotFlipped: libfprint flips the 4000B's (4500's) image both
	// ways and no other model's ("it is not clear whether it is correct",
	// says libfprint; the recordings hold the flipped image).
	imageNotFlipped bool
}

var (
	msKbd          = uruProfile{}
	msIntellimouse = uruProfile{}
	msStandalone   = uruProfile{}
	msStandaloneV2 = uruProfile{authCR: true}
	dpURU4000      = uruProfile{}
	dpURU4000B     = uruProfile{imageNotFlipped: true}
)

// uruCRKey is the AES key of the 2nd generation MS devices' challenge.
var uruCRKey = []byte{
	0x79, 0xac, 0x91, 0x79, 0x5c, 0xa1, 0x47, 0x8e,
	0x98, 0xe0, 0x0f, 0x3c, 0x59, 0x8f, 0x5f, 0x4b,
}

func uru4000Model(vendor, product uint16, name string, p uruProfile) model {
	return model{
		vendor: vendor, product: product, driver: "uru4000", name: name,
		scan: devices.ScanPress, ppi: 500, width: uruWidth, height: uruHeight,
		iface: -1, controlTimeout: 5 * time.Second,
		newDriver: func(rnd RandomSource) driver { return &uru4000{profile: p, rnd: rnd} },
	}
}

// uru4000 is the state of one capture.
type uru4000 struct {
	profile uruProfile
	rnd     RandomSource
	l       *link
	irq     *irqStream
	// earlyScanPower: the scan-power interrupt came while powering up.
	earlyScanPower bool
}

func (d *uru4000) readRegs(ctx context.Context, reg uint16, n int) ([]byte, error) {
	return d.l.controlIn(ctx, uruRequest, reg, 0, n)
}

func (d *uru4000) writeRegs(ctx context.Context, reg uint16, v ...byte) error {
	return d.l.controlOut(ctx, uruRequest, reg, 0, v)
}

func (d *uru4000) capture(ctx context.Context, l *link, opts devices.CaptureOptions) (img *devices.FingerprintImage, err error) {
	d.l = l
	// dev_activate: the interrupt read is in flight before anything else.
	d.irq, err = l.startIRQ(uruEPIntr, uruIRQLength)
	if err != nil {
		return nil, fmt.Errorf("uru4000: %w", err)
	}
	defer func() {
		// deactivation: mode off, then the interrupt read is cancelled. A
		// failed session still tries, as libfprint does, unless the device
		// is gone or the session closed.
		if errors.Is(err, devices.ErrDisconnected) || errors.Is(err, devices.ErrClosed) {
			d.irq.stop()
			return
		}
		if derr := d.writeRegs(context.WithoutCancel(ctx), regMode, modeOff); derr != nil && err == nil {
			err = fmt.Errorf("uru4000: deactivate: %w", derr)
		}
		d.irq.stop()
	}()
	if err := d.initialise(ctx); err != nil {
		return nil, fmt.Errorf("uru4000: activate: %w", err)
	}

	// AWAIT_FINGER_ON
	if err := d.writeRegs(ctx, regMode, modeAwaitFingerOn); err != nil {
		return nil, fmt.Errorf("uru4000: await finger: %w", err)
	}
	if err := d.awaitIRQ(ctx, irqFingerOn); err != nil {
		return nil, fmt.Errorf("uru4000: await finger: %w", err)
	}
	opts.Report(devices.FingerPresent)

	// CAPTURE: the image read is submitted, then the mode is set.
	img, err = d.image(ctx)
	if err != nil {
		return nil, fmt.Errorf("uru4000: capture: %w", err)
	}

	// AWAIT_FINGER_OFF
	if err := d.writeRegs(ctx, regMode, modeAwaitFingerOff); err != nil {
		return nil, fmt.Errorf("uru4000: await finger off: %w", err)
	}
	if err := d.awaitIRQ(ctx, irqFingerOff); err != nil {
		return nil, fmt.Errorf("uru4000: await finger off: %w", err)
	}
	opts.Report(devices.FingerRemoved)
	return img, nil
}

// awaitIRQ waits for an interrupt of type want, ignoring others (libfprint
// warns and ignores them too).
func (d *uru4000) awaitIRQ(ctx context.Context, want uint16) error {
	for {
		typ, err := d.nextIRQ(ctx, nil)
		if err != nil {
			return err
		}
		if typ == want {
			return nil
		}
	}
}

// nextIRQ returns the next interrupt's type; timeout, if not nil, ends the
// wait with errIRQTimeout.
func (d *uru4000) nextIRQ(ctx context.Context, timeout <-chan time.Time) (uint16, error) {
	select {
	case ev := <-d.irq.events:
		if ev.err != nil {
			return 0, ev.err
		}
		if len(ev.data) < 2 {
			return 0, fmt.Errorf("%w: interrupt of %d bytes", ErrProtocol, len(ev.data))
		}
		return binary.BigEndian.Uint16(ev.data), nil
	case <-timeout:
		return 0, errIRQTimeout
	case <-ctx.Done():
		return 0, d.l.check(ctx)
	}
}

var errIRQTimeout = fmt.Errorf("%w: no scan-power interrupt", devices.ErrTimeout)

// drainIRQ handles interrupts that already arrived while powering up.
func (d *uru4000) drainIRQ() error {
	for {
		select {
		case ev := <-d.irq.events:
			if ev.err != nil {
				return ev.err
			}
			if len(ev.data) >= 2 && binary.BigEndian.Uint16(ev.data) == irqScanPowerOn {
				d.earlyScanPower = true
			}
		default:
			return nil
		}
	}
}

// initialise is libfprint's init state machine: fix a confused power state,
// power down, power up (with the challenge-response where the device asks
// for it), wait for the scan-power interrupt, read the versions.
func (d *uru4000) initialise(ctx context.Context) error {
	timeouts := 0
	for {
		v, err := d.readRegs(ctx, regHWStat, 1)
		if err != nil {
			return err
		}
		hwstat := v[0]
		if hwstat&0x84 == 0x84 {
			if hwstat, err = d.rebootPower(ctx, hwstat); err != nil {
				return err
			}
		}
		if hwstat&0x80 == 0 {
			if err := d.writeRegs(ctx, regHWStat, hwstat|0x80); err != nil {
				return err
			}
		}
		// Interrupts before this point are ignored, as libfprint has no
		// handler installed yet.
		for len(d.irq.events) > 0 {
			if ev := <-d.irq.events; ev.err != nil {
				return ev.err
			}
		}
		d.earlyScanPower = false
		if err := d.powerUp(ctx, hwstat); err != nil {
			return err
		}
		if err := d.drainIRQ(); err != nil {
			return err
		}
		if !d.earlyScanPower {
			err := d.awaitScanPower(ctx)
			if err == errIRQTimeout {
				if timeouts++; timeouts >= 3 {
					return fmt.Errorf("power-up timed out 3 times: %w", err)
				}
				continue
			}
			if err != nil {
				return err
			}
		}
		break
	}
	// The versions are read and only logged by libfprint; the read is part
	// of the protocol's sequence.
	_, err := d.readRegs(ctx, regDeviceInfo, 16)
	return err
}

// awaitScanPower waits 300 ms for the scan-power interrupt.
func (d *uru4000) awaitScanPower(ctx context.Context) error {
	timer := time.NewTimer(300 * time.Millisecond)
	defer timer.Stop()
	for {
		typ, err := d.nextIRQ(ctx, timer.C)
		if err != nil {
			return err
		}
		if typ == irqScanPowerOn {
			return nil
		}
	}
}

// rebootPower is libfprint's rebootpwr state machine.
func (d *uru4000) rebootPower(ctx context.Context, hwstat byte) (byte, error) {
	if err := d.writeRegs(ctx, regHWStat, hwstat&0xf); err != nil {
		return 0, err
	}
	for tries := 100; ; {
		v, err := d.readRegs(ctx, regHWStat, 1)
		if err != nil {
			return 0, err
		}
		if v[0]&0x1 != 0 {
			return v[0], nil
		}
		if tries--; tries == 0 {
			return 0, fmt.Errorf("%w: could not reboot device power", ErrProtocol)
		}
		if err := d.l.sleep(ctx, 10*time.Millisecond); err != nil {
			return 0, err
		}
	}
}

// powerUp is libfprint's powerup state machine.
func (d *uru4000) powerUp(ctx context.Context, hwstat byte) error {
	want := hwstat & 0xf
	for tries := 100; ; {
		if err := d.writeRegs(ctx, regHWStat, want); err != nil {
			return err
		}
		v, err := d.readRegs(ctx, regHWStat, 1)
		if err != nil {
			return err
		}
		if v[0]&0x80 == 0 {
			return nil
		}
		if tries--; tries == 0 {
			return fmt.Errorf("%w: could not power device up", ErrProtocol)
		}
		if err := d.drainIRQ(); err != nil {
			return err
		}
		if err := d.l.sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		if d.profile.authCR {
			if err := d.challengeResponse(ctx); err != nil {
				return err
			}
		}
	}
}

// challengeResponse answers the 2nd generation MS devices' challenge: the
// 16 challenge bytes encrypted with AES-128-ECB under uruCRKey.
func (d *uru4000) challengeResponse(ctx context.Context) error {
	challenge, err := d.readRegs(ctx, regChallenge, uruCRLength)
	if err != nil {
		return err
	}
	block, err := aes.NewCipher(uruCRKey)
	if err != nil {
		return err
	}
	resp := make([]byte, uruCRLength)
	block.Encrypt(resp, challenge)
	return d.writeRegs(ctx, regResponse, resp...)
}

// encSeed draws a scramble seed as libfprint does:
// g_random_int_range (0, RAND_MAX).
func (d *uru4000) encSeed() uint32 {
	return uint32(intRange(d.rnd, 0, math.MaxInt32))
}

// image is libfprint's imaging state machine for one frame: read the frame,
// ask the device for the scramble key, descramble, assemble.
func (d *uru4000) image(ctx context.Context) (*devices.FingerprintImage, error) {
	seed := d.encSeed()
	var raw []byte
	for attempt := 0; ; attempt++ {
		p, err := d.l.submitIn(uruEPData, uruImageSize)
		if err != nil {
			return nil, err
		}
		if attempt == 0 {
			if err := d.writeRegs(ctx, regMode, modeCapture); err != nil {
				p.abandon(d.l)
				return nil, err
			}
		}
		got, err := p.wait(ctx, d.l)
		if err != nil {
			return nil, err
		}
		lines := 0
		if len(got) >= uruHeaderSize {
			lines = int(binary.LittleEndian.Uint16(got[4:]))
		}
		if len(got) >= uruHeaderSize && lines < uruHeight && len(got) >= lines*uruWidth+uruHeaderSize {
			// The frame buffer is the full struct, zero past what arrived.
			raw = make([]byte, uruImageSize)
			copy(raw, got)
			break
		}
		// libfprint reads again; a device that keeps sending bad frames is
		// answering garbage.
		if attempt >= 2 {
			return nil, fmt.Errorf("%w: bad image frame (%d lines, %d bytes)", ErrProtocol, lines, len(got))
		}
	}
	numLines := int(binary.LittleEndian.Uint16(raw[4:]))
	keyNumber := raw[6]
	blocks := raw[16:46] // 15 (flags, lines) pairs
	data := raw[uruHeaderSize:]

	// A noisy image is a scrambled one.
	if calcDev2(blocks, data) >= uruEncThreshold {
		linesDone, block := 0, 0
		for {
			// IMAGING_SEND_INDEX, IMAGING_READ_KEY
			idx := []byte{keyNumber, byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)}
			if err := d.writeRegs(ctx, regScrambleDataIndex, idx...); err != nil {
				return nil, err
			}
			k, err := d.readRegs(ctx, regScrambleDataKey, 4)
			if err != nil {
				return nil, err
			}
			key := binary.LittleEndian.Uint32(k) ^ seed
			// IMAGING_DECODE
			changeKey := false
			for block < 15 && linesDone < numLines {
				flags, n := blocks[2*block], int(blocks[2*block+1])
				if n == 0 {
					break
				}
				if flags&blockChangeKey != 0 {
					blocks[2*block] &^= blockChangeKey
					keyNumber++
					seed = d.encSeed()
					changeKey = true
					break
				}
				start, end := linesDone*uruWidth, (linesDone+n)*uruWidth
				if end > len(data) {
					return nil, fmt.Errorf("%w: image blocks exceed the frame", ErrProtocol)
				}
				switch flags & (blockNoKeyUpdate | blockEncrypted) {
				case blockEncrypted:
					key = uruDecode(data[start:end], key)
				case 0:
					for r := 0; r < uruWidth*n; r++ {
						key = uruUpdateKey(key)
					}
				}
				if flags&blockNotPresent == 0 {
					linesDone += n
				}
				block++
			}
			if !changeKey {
				break
			}
		}
	}

	// IMAGING_REPORT_IMAGE
	return uruAssemble(blocks, data, numLines, d.profile), nil
}

// uruAssemble copies the blocks into a frame (a block that is not present
// repeats the line that follows it), then flips and inverts as libfprint
// does.
func uruAssemble(blocks, data []byte, numLines int, p uruProfile) *devices.FingerprintImage {
	pix := make([]byte, uruWidth*uruHeight)
	to, r := 0, 0
	for i := 0; i < 15 && r < numLines; i++ {
		flags, n := blocks[2*i], int(blocks[2*i+1])
		if n == 0 {
			break
		}
		src := data[r*uruWidth:]
		m := n * uruWidth
		if m > len(src) {
			m = len(src)
		}
		if m > len(pix)-to {
			m = len(pix) - to
		}
		copy(pix[to:to+m], src[:m])
		if flags&blockNotPresent == 0 {
			r += n
		}
		to += n * uruWidth
		if to >= len(pix) {
			break
		}
	}
	flags := flagInverted
	if p.imageNotFlipped {
		flags |= flagVFlipped | flagHFlipped
	}
	return finishImage(pix, uruWidth, uruHeight, 500, flags)
}

// uruUpdateKey is the device's linear feedback shift register (taps at bit
// positions 1 3 4 7 11 13 20 23 26 29 32).
func uruUpdateKey(key uint32) uint32 {
	bit := key & 0x9248144d
	bit ^= bit << 16
	bit ^= bit << 8
	bit ^= bit << 4
	bit ^= bit << 2
	bit ^= bit << 1
	return bit&0x80000000 | key>>1
}

// uruDecode descrambles data in place and returns the key after it.
func uruDecode(data []byte, key uint32) uint32 {
	n := len(data)
	if n == 0 {
		return key
	}
	for i := 0; i < n-1; i++ {
		xor := byte(key>>4&1) |
			byte(key>>8&1)<<1 |
			byte(key>>11&1)<<2 |
			byte(key>>14&1)<<3 |
			byte(key>>18&1)<<4 |
			byte(key>>21&1)<<5 |
			byte(key>>24&1)<<6 |
			byte(key>>29&1)<<7
		key = uruUpdateKey(key)
		data[i] = data[i+1] ^ xor
	}
	// The final byte is implicitly zero.
	data[n-1] = 0
	return uruUpdateKey(key)
}

// calcDev2 is libfprint's test for a scrambled image on devices that only
// sometimes scramble: the variance of the first two present lines.
func calcDev2(blocks, data []byte) int {
	var b [2][]byte
	idx, r := 0, 0
	for i := 0; i < 15 && idx < 2; i++ {
		if blocks[2*i]&blockNotPresent != 0 {
			continue
		}
		for j := 0; j < int(blocks[2*i+1]) && idx < 2; j++ {
			b[idx] = data[r*uruWidth : (r+1)*uruWidth]
			idx++
			r++
		}
	}
	if b[0] == nil || b[1] == nil {
		return 0
	}
	mean := 0
	for i := 0; i < uruWidth; i++ {
		mean += int(b[0][i]) + int(b[1][i])
	}
	mean /= uruWidth
	res := 0
	for i := 0; i < uruWidth; i++ {
		dev := int(b[0][i]) + int(b[1][i]) - mean
		res += dev * dev
	}
	return res / uruWidth
}
