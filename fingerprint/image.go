package fingerprint

import (
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG
	"io"
	"os"

	"github.com/biogate/biogate/devices"
)

// DecodeImage reads a fingerprint image file (PNG, JPEG, WSQ, or any
// format the program registered with the image package: the biogate CLI
// adds TIFF, the FVC sets' own format, and BMP) into 8-bit grey. Colour images
// are converted to grey. The size is checked before the pixels are
// decoded, so a file that declares a giant image costs nothing.
func DecodeImage(r io.ReadSeeker) (*devices.FingerprintImage, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide {
		return nil, fmt.Errorf("%w: size %dx%d (1..%d a side)", ErrInvalidImage, cfg.Width, cfg.Height, maxImageSide)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	src, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidImage, err)
	}
	b := src.Bounds()
	g, ok := src.(*image.Gray)
	if !ok || g.Stride != b.Dx() {
		g = image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(g, g.Rect, src, b.Min, draw.Src)
	}
	return &devices.FingerprintImage{Width: b.Dx(), Height: b.Dy(), Pix: g.Pix}, nil
}

// ReadImage is DecodeImage on a file.
func ReadImage(path string) (*devices.FingerprintImage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := DecodeImage(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
