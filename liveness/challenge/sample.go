package challenge

import "time"

// Sample is what one frame says about the subject, as the capture loop
// measured it. The state machine sees nothing else: no pixels, no camera.
//
// Angles follow capture.Pose, in the image as delivered (not mirrored):
// Yaw > 0 when the nose points toward the image's right (the subject's own
// left); Roll > 0 when the face is rotated clockwise in the image (the
// subject's left eye, on the image's right, is lower).
//
// The Challenge reads a Sample with Faces 1 but no box or an InterEye under
// 1 px as a frame without a face. Commands are in the person's own frame;
// the package comment maps them onto these signs.
type Sample struct {
	// Seq is the frame's sequence number at its source (0: unknown).
	// Numbers skipped between two samples are frames the source sent and
	// the caller did not analyse: the face is presumed to have stayed
	// through them.
	Seq uint64
	// Time is the frame's capture time; deadlines are measured on it.
	Time time.Time
	// Faces is the number of faces in view that count (0: the face is lost;
	// above 1: a second face).
	Faces int
	// Box is the subject face's box in pixels (zero when Faces is 0).
	BoxX, BoxY, BoxW, BoxH float64
	// Yaw, Pitch and Roll in degrees.
	Yaw, Pitch, Roll float64
	// InterEye is the eye distance in pixels: the scale signal.
	InterEye float64
}
