// Package challenge is the active liveness check: the challenge-response
// state machine that gives the person random visual commands and checks,
// on the analysed video stream, that they are carried out. The rules it
// implements: at least 3 random commands per attempt, analysed on the video
// stream, and refusal after 3 failed attempts.
//
// It knows nothing of cameras or pixels (it imports no gocv): the capture
// loop turns each frame into a Sample (face count, box, head pose, inter-eye
// distance) and feeds it to Challenge.Step; the gateway shows the events to
// the person and keeps the frames the events point at.
//
// # Commands and signs
//
// Commands are in the person's own frame of reference. In an unmirrored
// frame, as a camera delivers it, the person's left is the image's right,
// and the Sample signs follow capture.Pose:
//
//	turn_left    head turned to the person's own left:  nose toward image right, yaw increases
//	turn_right   head turned to the person's own right: nose toward image left,  yaw decreases
//	tilt_left    left ear toward the left shoulder: left eye (image right) down, roll increases
//	tilt_right   right ear toward the right shoulder:                           roll decreases
//	move_closer  face closer to the camera: inter-eye distance grows
//
// Config.Mirrored is for sources that deliver mirrored (selfie) frames: it
// flips the signs of yaw and roll so that the commands keep their meaning.
// Whether the preview shown to the person is mirrored does not matter: the
// gateway analyses the frames as delivered.
//
// Blink and smile are not offered: YuNet, the project's face detector, has
// no eyelid points, and its mouth corners do not follow a smile, so a Sample
// cannot tell either.
//
// # How a command is judged
//
// Each signal is measured against the person's neutral baseline: the median
// yaw, roll and inter-eye distance over BaselineTime of a steady face (yaw,
// roll and scale varying by less than ReturnFraction of their thresholds),
// taken when the attempt begins. A command passes when its signal crosses
// its threshold in the commanded direction and then comes back below
// ReturnFraction of it: a movement and a return, which a still photo cannot
// make and a recording cannot time to random commands. Going past the
// threshold the opposite way first fails it (wrong_direction). A signal
// already past a threshold when the command is issued does not count until
// it has come back inside: a pose held from before cannot answer a command.
// Detector is this judgement alone, for one command, and can be used and
// tested on its own.
//
// Roll and the inter-eye distance are read only while the head is turned
// less than TurnDegrees from the baseline: on a turned head YuNet's eye
// points drift and the eye line shortens. The inter-eye distance is divided
// by cos(yaw), which removes most of the shortening a smaller turn causes.
//
// One face must stay in view through the whole attempt, its baseline
// included: more than one face fails the attempt (multiple_faces), no face
// for longer than LostGrace fails it (face_lost; a one-frame dropout does
// not), and a box whose centre jumps by more than MaxJump box widths
// between samples fails it (face_jump). Before an attempt begins (no
// baseline yet), these only restart the wait for a steady face.
//
// # Events
//
// Step and Tick append Events. A successful session reads:
//
//	baseline (attempt 1)
//	issued turn_left, progress..., passed
//	issued tilt_right, progress..., passed
//	issued move_closer, progress..., passed
//	succeeded
//
// A failing command gives failed (with its Reason) and attempt_failed; a
// new attempt then waits for a fresh baseline and draws fresh commands, or,
// after the last allowed attempt, refused follows. Progress events carry
// Peak when their sample is the command's strongest response so far: the
// caller keeps that frame, and passed names the peak frame's Seq, the image
// the result document records for the command.
//
// # Randomness and time
//
// Commands are drawn with Config.Rand (crypto/rand by default), uniformly
// among the sequences of Count distinct offered commands, by rejection
// sampling rather than a biased modulo; the first command of an attempt is
// never the last command issued before it. Every draw is made in New. Time
// comes only from Sample.Time and Tick's argument, never from the clock, so
// a recorded session replays to the same events.
package challenge
