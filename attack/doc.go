// Package attack generates presentation and injection attacks against a
// gateway's relay sessions, as an attacker's modified phone app would send
// them: one still photo of the enrolled person, warped in software to
// perform whatever liveness commands the gateway issues, or the frames of a
// recorded genuine clip replayed in real time. It exists to test the
// gateway's defences (issue 13); it detects nothing itself.
//
// The parts, each usable alone:
//
//   - Image, LoadPhoto, DetectFace, NewScene: a photo placed in a 640x480
//     frame around its face (YuNet's box and five landmarks).
//   - Pose and Render: the 2D warps of the scene. A tilt is a rotation about
//     the face centre, move_closer a scale about it, a turn a smooth
//     horizontal "cylinder" displacement of the face region plus a shift of
//     the nose region and a slight keystone (one remap per frame).
//   - PrintDegrade, ScreenDegrade, ScreenOverlay, AddNoise: print-like and
//     screen-like degradation and sensor-like noise, deterministic given
//     their random source.
//   - Params and Performer: the randomised parameters a seed gives (fps,
//     JPEG quality, noise, amplitudes, timing, hand shake) and the
//     generator that turns issued commands into a movement over time:
//     a reaction delay, a smooth movement out, a hold and a return.
//   - Replayer: a recorded clip's frames in real time, deaf to commands.
//   - Run: one relay session against a loopback gateway (docs/protocol.md),
//     following its commands live, summarised as a Report.
//
// Commands and signs follow liveness/challenge: commands are in the
// person's own frame; in an unmirrored frame turn_left moves the nose
// toward the image's right (yaw up) and tilt_left lowers the person's left
// eye, on the image's right (roll up, clockwise).
//
// Attack tools of this repository talk only to gateways on loopback: Run
// refuses any other address before it connects.
package attack
