// Package relay provides the camera of the mobile relay: a devices.Camera fed
// by the gateway's WebSocket handler with the frames a mobile app captured.
// The handler calls Push with each binary message, End when the client says
// it has no more frames, and Disconnect when the socket goes away; the
// capture loop reads the camera like any other.
//
// It imports only the standard library and devices: no gocv (JPEG is passed
// through undecoded; capture decodes it) and no WebSocket library (the
// gateway owns the socket), so the gateway may depend on it.
//
// A relay camera is made per session with New, not opened by spec: it has no
// scheme in the devices registry, as there is nothing to name in a spec.
//
// # Wire format, version 1
//
// Each frame is one binary WebSocket message: a fixed 16-byte header, then
// exactly one JPEG image. Integers are big-endian (network order).
//
//	offset size field
//	0      2    magic: 0x42 0x47 ("BG")
//	2      1    version: 1
//	3      1    flags: none are defined in version 1; senders set 0,
//	            receivers ignore bits they do not know
//	4      4    seq: uint32, the client's frame number
//	8      8    capture time: int64, Unix milliseconds on the client's clock
//	16     n    JPEG: n >= 5 bytes, starting with FF D8 FF (SOI and the
//	            first marker) and ending with FF D9 (EOI), nothing after it
//
// Why this layout: the magic makes a stray text frame, a raw JPEG or another
// protocol fail fast with a clear error; the version byte leaves room for an
// incompatible change, the flags for compatible ones. A uint32 sequence
// lasts 4.5 years at 30 frames per second, far beyond a session, and keeps
// the int64 time at an 8-byte aligned offset; 16 bytes is small against a
// JPEG of tens of kilobytes. Milliseconds are the resolution of the clocks
// mobile apps read (JavaScript Date.now, Android, iOS).
//
// Requiring the EOI marker rejects a truncated upload, which a JPEG decoder
// would otherwise accept with its missing part grey. The image is not decoded
// here: one that is well framed but corrupt inside reaches the reader, whose
// decoder reports devices.ErrBadFrame for it.
//
// # Validation
//
// Push checks each message in this order and rejects it, with an error
// wrapping one of this package's sentinels, counted by reason in Stats:
//
//   - ErrShortMessage: fewer than 16 bytes.
//   - ErrBadMagic: the first two bytes are not "BG".
//   - ErrVersion: the version is not 1.
//   - ErrNotJPEG: the payload is not framed as a JPEG as above.
//   - ErrStopped: the camera was ended, disconnected or closed.
//   - ErrTooLarge: the JPEG is over Config.MaxFrameBytes (the gateway should
//     also set the socket's read limit to Camera.MaxMessageBytes).
//   - ErrNotJPEG, ErrTooLarge: JPEGSize reads the marker segments up to the
//     frame header (SOF) without decoding anything; a payload with no frame
//     header before its scan, a segment running past its end or a zero
//     size is not a JPEG, and one declaring more than Config.MaxFramePixels
//     pixels is too large. A decoder allocates for the declared size, so a
//     JPEG of a few kilobytes declaring 30000x30000 pixels would cost
//     gigabytes and seconds of CPU that no cancel interrupts.
//   - ErrSequence: seq is not greater than that of the last message that
//     passed this check: a duplicate or out of order frame. Gaps are allowed
//     (the client skipped frames). seq never wraps: a session ends before.
//   - ErrTooFast: the message came over Config.MaxFPS, measured on arrival
//     with a token bucket on the gateway's clock. The bucket holds
//     max(1, MaxFPS) tokens and starts full; each accepted frame takes one,
//     and tokens come back at MaxFPS per second. So in any interval of t
//     seconds at most MaxFPS*t + max(1, MaxFPS) frames are accepted: the
//     average rate is bounded, while frames sent at the limit and bunched by
//     a mobile network after a stall of up to a second still pass. A
//     rejected frame takes no token; its seq counts as seen.
//
// A rejected message leaves nothing queued; the session may go on. The
// gateway maps the sentinels to the protocol's error codes.
//
// # Frames
//
// An accepted message becomes a devices.Frame with Format JPEG, Width and
// Height 0, Seq the message's seq (a gap means the client, the rate limit or
// a queue dropped frames), Source Config.ID, and Time the arrival time on the
// gateway's clock (Config.Clock). The client's capture time is not trusted
// for Frame.Time: the phone's clock can be wrong or set by an attacker, and
// liveness and timeouts must run on one clock. It is kept only in Stats, as
// the capture time of the last accepted frame and its lag behind the arrival
// (network latency plus clock offset), for diagnostics.
//
// The queue holds Config.Queue frames. Push never blocks: when the queue is
// full it drops the oldest frame (closing it) and counts the drop, so the
// reader always gets the freshest frames.
//
// # Ending
//
// Read returns, wrapped: devices.ErrEndOfStream after End, once the queued
// frames were read; devices.ErrDisconnected after Disconnect, at once (the
// queued frames of a lost session are discarded); devices.ErrClosed after
// Close; devices.ErrTimeout when it waited Config.IdleTimeout with no frame
// arriving (the client went silent without closing the socket); the camera
// stays usable after a timeout. Whichever of End and Disconnect comes first
// decides: the socket closing after the client said it was done does not
// turn a clean end into a disconnect.
//
// # Ownership and concurrency
//
// The gateway owns the Camera and closes it. Push copies the JPEG out of the
// message into a buffer from the camera's pool (a devices.BufferPool): the
// caller may reuse msg as soon as Push returns. Every Frame that Read returns is owned by the caller,
// who closes it exactly once, which returns its buffer to the pool; frames
// stay valid after the camera is closed. Push, End, Disconnect, Close, Stats
// and Info are safe for concurrent use with each other and with Read; one
// goroutine reads, as devices.Camera requires.
package relay
