// NEXT Biometrics NB-1010-U driver, ported to Go from libfprint's
// libfprint/drivers/nb1010.c (libfprint v1.94.7):
//
//	Copyright (C) 2021 Huan Wang <fredwanghuan@gmail.com>
//	Copyright (C) 2011-2012 Andrej Krutak <dev@andree.sk>
//
// This file is free software; you can redistribute it and/or modify it
// under the terms of the GNU Lesser General Public License as published by
// the Free Software Foundation; either version 2.1 of the License, or (at
// your option) any later version. See LICENSE in this folder.

package usbfp

import (
	"context"
	"fmt"
	"time"

	"github.com/biogate/biogate/devices"
)

const (
	nb1010Width          = 256
	nb1010Height         = 180
	nb1010EPOut          = 2
	nb1010EPIn           = 3
	nb1010SensitivityBit = 12
	nb1010CmdRecvLen     = 16
	nb1010CaptureRecvLen = 540
	nb1010CaptureHeader  = 25
	nb1010LinesPerPart   = 2
	nb1010Parts          = nb1010Height / nb1010LinesPerPart
	nb1010Timeout        = 500 * time.Millisecond
	nb1010PollDelay      = 50 * time.Millisecond
)

// The commands as libfprint sends them (the third byte is a sequence number
// the device only echoes).
var (
	nb1010CmdCheckFinger = []byte{0x80, 0x38, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00}
	nb1010CmdPrecapture  = []byte{0x80, 0x0d, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00}
	nb1010CmdCapture     = []byte{
		0x80, 0x12, 0x04, 0x00, 0x20, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
	}
)

// nb1010 polls for a finger, then reads the frame two lines at a time.
type nb1010 struct{}

func (nb1010) capture(ctx context.Context, l *link, opts devices.CaptureOptions) (*devices.FingerprintImage, error) {
	// M_WAIT_PRINT .. M_CHECK_PRINT: every 50 ms, ask whether a finger is
	// on the sensor.
	for {
		if err := l.sleep(ctx, nb1010PollDelay); err != nil {
			return nil, fmt.Errorf("nb1010: await finger: %w", err)
		}
		if err := l.bulkOut(ctx, nb1010EPOut, nb1010CmdCheckFinger, nb1010Timeout); err != nil {
			return nil, fmt.Errorf("nb1010: check finger: %w", err)
		}
		resp, err := l.bulkIn(ctx, nb1010EPIn, nb1010CmdRecvLen, nb1010Timeout)
		if err != nil {
			return nil, fmt.Errorf("nb1010: check finger: %w", err)
		}
		if len(resp) != nb1010CmdRecvLen {
			return nil, fmt.Errorf("nb1010: check finger: %w: %d-byte answer", ErrProtocol, len(resp))
		}
		if resp[nb1010SensitivityBit] > 0x30 {
			break
		}
	}
	opts.Report(devices.FingerPresent)

	// M_READ_PRINT_PRESTART, M_READ_PRINT_START: each command's answer is
	// read and ignored.
	for _, cmd := range [][]byte{nb1010CmdPrecapture, nb1010CmdCapture} {
		if err := l.bulkOut(ctx, nb1010EPOut, cmd, nb1010Timeout); err != nil {
			return nil, fmt.Errorf("nb1010: start capture: %w", err)
		}
		resp, err := l.bulkIn(ctx, nb1010EPIn, nb1010CmdRecvLen, nb1010Timeout)
		if err != nil {
			return nil, fmt.Errorf("nb1010: start capture: %w", err)
		}
		if len(resp) != nb1010CmdRecvLen {
			return nil, fmt.Errorf("nb1010: start capture: %w: %d-byte answer", ErrProtocol, len(resp))
		}
	}

	// M_READ_PRINT_POLL: 90 packets of a 25-byte header and two lines.
	pix := make([]byte, nb1010Width*nb1010Height)
	for part := 0; part < nb1010Parts; part++ {
		resp, err := l.bulkIn(ctx, nb1010EPIn, nb1010CaptureRecvLen, nb1010Timeout)
		if err != nil {
			return nil, fmt.Errorf("nb1010: read frame: %w", err)
		}
		if len(resp) != nb1010CaptureRecvLen {
			return nil, fmt.Errorf("nb1010: read frame: %w: %d-byte packet", ErrProtocol, len(resp))
		}
		off := part * nb1010LinesPerPart * nb1010Width
		copy(pix[off:off+nb1010LinesPerPart*nb1010Width], resp[nb1010CaptureHeader:])
	}
	// M_SUBMIT_PRINT: the image, then finger off (the device has no
	// finger-off report; libfprint reports it right after the image).
	img := finishImage(pix, nb1010Width, nb1010Height, 500, 0)
	opts.Report(devices.FingerRemoved)
	return img, nil
}
