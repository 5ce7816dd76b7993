package fingerprint

import (
	"io"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint/wsq" // also registers WSQ with image.Decode
)

// wsqBitrate is the WSQ bit rate of the image records this package
// writes: the FBI's 0.75 bit per pixel for 500 ppi images, about 15:1.
const wsqBitrate = 0.75

// encodeWSQ writes img as WSQ at wsqBitrate, declaring ppi.
func encodeWSQ(w io.Writer, img *devices.FingerprintImage, ppi int) error {
	return wsq.Encode(w, img.Gray(), &wsq.Options{Bitrate: wsqBitrate, PPI: ppi})
}
