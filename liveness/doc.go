// Package liveness decides whether the face in front of the camera belongs
// to a live person or to a presentation attack (a printed photo, a phone or
// tablet replay).
//
// It holds:
//
//   - the cue interface (Cue, FrameCue, SessionCue; cue.go): a cue has a
//     name, a weight in the fusion and a score in [0, 1] as evidence of
//     live, per frame (CueFrame: the pixels, the face, the capture
//     analysis, and the relay's metadata for relayed frames) or per
//     session for cues that look at the sequence;
//   - the built-in cues, fused in this order: MiniFASNet (models.AntiSpoof,
//     the primary signal; model.go), screen glare (screen.go), print
//     chroma (print.go) and motion coherence (motion.go); more cues are
//     added at NewPassive;
//   - their fusion into one p(live), reported cue by cue (FuseScores,
//     CueScore, FusionWeights);
//   - Passive, which scores the frames of one session and aggregates them
//     into a decision;
//   - the ISO/IEC 30107-3 evaluation metrics APCER, BPCER and ACER
//     (Evaluate, Sweep), and the evaluation that cannot flatter itself:
//     recorded sessions fused again under other weights and curves
//     (Recording, Calibration), leave-one-source-out cross-validation
//     (CrossValidate), a per-cue ablation (Ablate), a comparison with
//     MiniFASNet alone at every APCER (CompareDET), and the camera
//     transforms real cameras apply (Transforms, TransformCamera);
//   - the check that combines the passive score with the active challenge
//     of liveness/challenge (Checker).
//
// A spoof is an outcome (Decision), not an error. Nothing here keeps a
// caller's gocv.Mat beyond the call it was passed to, and nothing here
// logs: frames and scores of a person are biometric data.
package liveness
