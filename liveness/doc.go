// Package liveness decides whether the face in front of the camera belongs
// to a live person or to a presentation attack (a printed photo, a phone or
// tablet replay).
//
// It holds:
//
//   - the passive cues, each an independent, cheap per-frame signal in
//     [0, 1] as evidence of live (screen.go, print.go, motion.go);
//   - their fusion with MiniFASNet (models.AntiSpoof), the primary signal,
//     into one p(live) (Fuse, FusionWeights);
//   - Passive, which scores the frames of one session and aggregates them
//     into a decision;
//   - the ISO/IEC 30107-3 evaluation metrics APCER, BPCER and ACER
//     (Evaluate, Sweep);
//   - the check that combines the passive score with the active challenge
//     of liveness/challenge (Checker).
//
// A spoof is an outcome (Decision), not an error. Nothing here keeps a
// caller's gocv.Mat beyond the call it was passed to, and nothing here
// logs: frames and scores of a person are biometric data.
package liveness
