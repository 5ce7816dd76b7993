// Package capture is the face capture loop: it reads frames from a
// devices.Camera, detects faces (YuNet through models), picks the subject,
// scores each frame's quality with cheap measures in the spirit of
// ISO/IEC 29794-5, tells the person what to correct, and selects the best
// frame the way MOSIP SBI auto-capture does: stop as soon as a frame reaches
// the requested score, or at the timeout return the best frame so far.
//
// Ownership: Loop.Run owns every frame it reads from the camera and closes
// each exactly once before it returns; the camera itself stays the caller's.
// The Result's JPEG bytes are plain Go memory owned by the caller. Analyzer
// results are valid until the next Analyze call.
//
// Nothing here logs; the images in a Result are biometric data and must not
// be logged by callers either.
package capture
