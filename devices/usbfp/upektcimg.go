// UPEK TouchChip Fingerprint Coprocessor (147e:2016, 147e:2020) driver,
// ported to Go from libfprint's libfprint/drivers/upektc_img.c, upektc_img.h
// and upek_proto.c (libfprint v1.94.7):
//
//	Copyright (C) 2013 Vasily Khoruzhick <anarsoul@gmail.com>
//
// This file is free software; you can redistribute it and/or modify it
// under the terms of the GNU Lesser General Public License as published by
// the Free Software Foundation; either version 2.1 of the License, or (at
// your option) any later version. See LICENSE in this folder.

package usbfp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/biogate/biogate/devices"
)

// ErrRetry: the reader rejected the scan (too short, finger off centre);
// the person should present the finger again. The reader stays usable.
var ErrRetry = errors.New("usbfp: scan not usable, try again")

const (
	upekEPIn          = 1
	upekEPOut         = 2
	upekWidth         = 144
	upekHeight        = 384
	upekImageSize     = upekWidth * upekHeight
	upekMaxResponse   = 2052
	upekShortResponse = 64
	upekTimeout       = 4 * time.Second
)

// The commands of upektc_img.h; sequence number and CRC are filled in when
// sent.
var (
	upekInit1 = []byte{'C', 'i', 'a', 'o', 0x04, 0x00, 0x0d,
		0x01, 0x00, 0x46, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0xda, 0xc1}
	upekInit2 = []byte{'C', 'i', 'a', 'o', 0x07, 0x00, 0x01, 0x01, 0x3d, 0x72}
	upekInit3 = []byte{'C', 'i', 'a', 'o', 0x04, 0x00, 0x0d,
		0x01, 0x00, 0xbc, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x55, 0x2f}
	upekInit4 = []byte{'C', 'i', 'a', 'o', 0x00, 0x00, 0x07,
		0x28, 0x04, 0x00, 0x00, 0x00, 0x06, 0x04, 0xc0, 0xd6}
	upekDeinit      = []byte{'C', 'i', 'a', 'o', 0x07, 0x00, 0x01, 0x01, 0x3d, 0x72}
	upekInitCapture = []byte{'C', 'i', 'a', 'o', 0x00, 0x00, 0x0e,
		0x28, 0x0b, 0x00, 0x00, 0x00, 0x0e, 0x02, 0xfe, 0xff, 0xff, 0xff, 0x02,
		0x00, // wait for an acceptable finger
		0x02, 0x25, 0xa9}
	upekAck0028  = []byte{'C', 'i', 'a', 'o', 0x00, 0x80, 0x08, 0x28, 0x05, 0x00, 0x00, 0x00, 0x00, 0x30, 0x01, 0x6a, 0xc4}
	upekAck08    = []byte{'C', 'i', 'a', 'o', 0x09, 0x00, 0x00, 0x91, 0x9e}
	upekAckFrame = []byte{'C', 'i', 'a', 'o', 0x00, 0x50, 0x01, 0x30, 0xac, 0x5b}
)

func upektcModel(product uint16) model {
	return model{
		vendor: 0x147e, product: product, driver: "upektc_img",
		name: "Upek TouchChip Fingerprint Coprocessor",
		scan: devices.ScanSwipe, ppi: 500, width: upekWidth, height: upekHeight,
		iface: 0, controlTimeout: upekTimeout,
		newDriver: func(RandomSource) driver { return &upektcImg{} },
	}
}

// upektcImg is the state of one capture.
type upektcImg struct {
	l        *link
	seq      byte
	response [upekMaxResponse]byte
}

// udfCRC is upek_proto.c's udf_crc: CRC-16 with polynomial 0x1021, initial
// value 0, no reflection (CRC-16/XMODEM).
func udfCRC(b []byte) uint16 {
	var crc uint16
	for _, x := range b {
		crc ^= uint16(x) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// send writes cmd with seq in the high nibble of byte 5 and a fresh CRC
// (which covers neither the "Ciao" prefix nor itself).
func (d *upektcImg) send(ctx context.Context, cmd []byte, seq byte) error {
	buf := append([]byte(nil), cmd...)
	buf[5] = buf[5]&0x0f | seq<<4
	crc := udfCRC(buf[4 : len(buf)-2])
	buf[len(buf)-2], buf[len(buf)-1] = byte(crc), byte(crc>>8)
	return d.l.bulkOut(ctx, upekEPOut, buf, upekTimeout)
}

// read reads n bytes into the response buffer at off and returns the count.
func (d *upektcImg) read(ctx context.Context, n, off int) (int, error) {
	got, err := d.l.bulkIn(ctx, upekEPIn, n, upekTimeout)
	if err != nil {
		return 0, err
	}
	return copy(d.response[off:], got), nil
}

func (d *upektcImg) capture(ctx context.Context, l *link, opts devices.CaptureOptions) (*devices.FingerprintImage, error) {
	d.l = l
	if err := d.activate(ctx); err != nil {
		return nil, fmt.Errorf("upektc_img: activate: %w", err)
	}
	img, err := d.scan(ctx, opts)
	if err != nil && !errors.Is(err, ErrRetry) && !errors.Is(err, devices.ErrTimeout) {
		// Gone, closed or talking nonsense: nothing sensible to send.
		return nil, fmt.Errorf("upektc_img: %w", err)
	}
	// Deactivation runs after an image, a rejected scan or a timeout.
	if derr := d.deactivate(context.WithoutCancel(ctx)); derr != nil && err == nil {
		err = derr
	}
	if err != nil {
		return nil, fmt.Errorf("upektc_img: %w", err)
	}
	return img, nil
}

// activate is libfprint's activate state machine.
func (d *upektcImg) activate(ctx context.Context) error {
	control := func() error {
		return d.l.controlOut(ctx, 0x0c, 0x0100, 0x0400, []byte{0})
	}
	steps := []func() error{
		control,
		func() error { return d.send(ctx, upekInit1, 0) },
		func() error { return d.send(ctx, upekInit2, 0) },
		control,
		func() error { return d.send(ctx, upekInit3, 0) },
		func() error { d.seq++; return d.send(ctx, upekInit4, d.seq-1) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
		if _, err := d.read(ctx, upekShortResponse, 0); err != nil {
			return err
		}
	}
	return nil
}

// deactivate sends the deinit command and reads its answer.
func (d *upektcImg) deactivate(ctx context.Context) error {
	if err := d.send(ctx, upekDeinit, d.seq); err != nil {
		return fmt.Errorf("deactivate: %w", err)
	}
	d.seq++
	if _, err := d.read(ctx, upekShortResponse, 0); err != nil {
		return fmt.Errorf("deactivate: %w", err)
	}
	return nil
}

// scan is libfprint's capture state machine: start a capture, then read
// answers and acknowledge each until the last image frame.
func (d *upektcImg) scan(ctx context.Context, opts devices.CaptureOptions) (*devices.FingerprintImage, error) {
	image := make([]byte, 0, upekImageSize)
	if err := d.send(ctx, upekInitCapture, d.seq); err != nil {
		return nil, err
	}
	d.seq++
	rest := 0
	terminating, fingerSeen := false, false
	var retry error
	for {
		// CAPTURE_READ_DATA, CAPTURE_READ_DATA_TERM
		var n int
		var err error
		if rest == 0 {
			n, err = d.read(ctx, upekShortResponse, 0)
		} else {
			n, err = d.read(ctx, upekMaxResponse-upekShortResponse, upekShortResponse)
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		if terminating {
			return nil, retry
		}
		data := d.response[:]
		if rest == 0 {
			size := (int(data[5]&0x0f)<<8 | int(data[6])) + 9 // header and CRC
			if size > n {
				rest = size - n
				continue
			}
		}
		rest = 0

		var ack []byte
		ackSeq, bump := d.seq, true
		switch data[4] {
		case 0x00:
			switch data[7] {
			case 0x28:
				switch data[18] {
				case 0x0c, 0x00: // no finger yet; finger present
					ack = upekAck0028
				case 0x1e:
					retry = fmt.Errorf("%w: swipe too short", ErrRetry)
				case 0x1d:
					retry = fmt.Errorf("%w: too much horizontal movement", ErrRetry)
				default:
					retry = fmt.Errorf("%w: the reader reported an error (%#02x)", ErrRetry, data[18])
				}
				if retry != nil {
					opts.Report(devices.FingerRemoved)
					ack, terminating = upekAck0028, true
				}
			case 0x2c, 0x24:
				if data[7] == 0x2c && !fingerSeen {
					fingerSeen = true
					opts.Report(devices.FingerPresent)
				}
				if err := upekFrame(&image, data); err != nil {
					return nil, err
				}
				ack = upekAckFrame
			case 0x20:
				if err := upekFrame(&image, data); err != nil {
					return nil, err
				}
				if len(image) != upekImageSize {
					return nil, fmt.Errorf("%w: image of %d bytes, want %d", ErrProtocol, len(image), upekImageSize)
				}
				img := finishImage(image, upekWidth, upekHeight, 500, flagPartial)
				opts.Report(devices.FingerRemoved)
				return img, nil
			default:
				return nil, fmt.Errorf("%w: unknown response %#02x", ErrProtocol, data[7])
			}
		case 0x08:
			// No sequence number in this one, and none used up.
			ack, ackSeq, bump = upekAck08, 0, false
		default:
			return nil, fmt.Errorf("%w: unhandled response %#02x", ErrProtocol, data[4])
		}
		if err := d.send(ctx, ack, ackSeq); err != nil {
			return nil, err
		}
		if bump {
			d.seq++
		}
	}
}

// upekFrame appends the pixels of one image frame (upektc_img_process_image_frame).
func upekFrame(image *[]byte, res []byte) error {
	off := 8
	n := (int(res[5]&0x0f)<<8 | int(res[6])) - 1
	switch res[7] {
	case 0x2c:
		n -= 10
		off += 10
	case 0x20:
		n -= 4
	}
	if n < 0 || off+n > len(res) || len(*image)+n > upekImageSize {
		return fmt.Errorf("%w: image frame of %d bytes does not fit", ErrProtocol, n)
	}
	*image = append(*image, res[off:off+n]...)
	return nil
}
