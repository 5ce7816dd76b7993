package protocol

// TypePreview carries a downscaled picture of the kiosk camera (Preview),
// so a kiosk page can show the person what the gateway's camera sees. Kiosk
// mode only; at most PreviewMaxPerSecond; dropped first under back-pressure.
const TypePreview Type = "preview"

// Preview limits.
const (
	// PreviewMaxPerSecond caps preview messages per session.
	PreviewMaxPerSecond = 5
	// PreviewMaxWidth is the widest preview picture, in pixels.
	PreviewMaxWidth = 320
)

// Preview is one downscaled kiosk camera picture. It is biometric data:
// never logged, never stored.
type Preview struct {
	// JPEG is the picture, base64 in JSON.
	JPEG []byte `json:"jpeg"`
	// Width and Height are the picture's size in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
}

// MessageType implements Message.
func (Preview) MessageType() Type { return TypePreview }

func (Preview) serverMessage() {}
