package usbfp

import (
	"time"

	"github.com/biogate/biogate/devices"
)

// imageFlags are libfprint's FpiImageFlags that change pixels: libfprint
// normalises every captured image (fp-image.c: horizontal flip, then
// vertical flip, then inversion) before handing it out, so the drivers here
// do the same to give the image libfprint gives.
type imageFlags int

const (
	flagVFlipped imageFlags = 1 << iota
	flagHFlipped
	flagInverted
	flagPartial
)

// finishImage applies flags to pix (w*h grey levels, modified in place) and
// wraps it as the caller's image.
func finishImage(pix []byte, w, h, ppi int, flags imageFlags) *devices.FingerprintImage {
	if flags&flagHFlipped != 0 {
		for y := 0; y < h; y++ {
			row := pix[y*w : (y+1)*w]
			for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
				row[i], row[j] = row[j], row[i]
			}
		}
	}
	if flags&flagVFlipped != 0 {
		tmp := make([]byte, w)
		for y := 0; y < h/2; y++ {
			top, bottom := pix[y*w:(y+1)*w], pix[(h-1-y)*w:(h-y)*w]
			copy(tmp, top)
			copy(top, bottom)
			copy(bottom, tmp)
		}
	}
	if flags&flagInverted != 0 {
		for i := range pix {
			pix[i] = 0xff - pix[i]
		}
	}
	return &devices.FingerprintImage{
		Width: w, Height: h, Pix: pix, PPI: ppi,
		Time: time.Now(), Partial: flags&flagPartial != 0,
	}
}
