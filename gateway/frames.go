package gateway

import (
	"errors"
	"time"

	"github.com/biogate/biogate/gateway/protocol"
)

// frameErrorEvery is how often one frame error code is reported.
const frameErrorEvery = time.Second

// frameError reports a rejected frame, at most once per second per code.
// s.mu is held.
func (s *session) frameError(code protocol.ErrorCode) {
	now := time.Now()
	if t, ok := s.frameErrAt[code]; ok && now.Sub(t) < frameErrorEvery {
		return
	}
	s.frameErrAt[code] = now
	s.sendError(protocol.NewError(code))
}

func (s *session) onFrame(data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	var code protocol.ErrorCode
	switch {
	case s.state == protocol.StateWaitingStart || s.eof:
		code = protocol.CodeUnexpectedMessage
	case s.start.Camera.Mode != protocol.CameraRelay:
		code = protocol.CodeWrongMode
	case s.over || s.state == protocol.StateSubmitting:
		s.srv.m.framesReceived.Inc()
		s.srv.m.framesDropped.WithLabelValues("liveness_over").Inc()
		return
	default:
		if err := s.cam.Push(data); err != nil {
			if code = frameCode(err); code != "" {
				s.frameError(code)
			}
		}
		return // counted by the camera's Stats
	}
	s.srv.m.framesReceived.Inc()
	s.srv.m.framesDropped.WithLabelValues(string(code)).Inc()
	s.frameError(code)
}

// frameCode maps a relay rejection to its protocol code; "" for a frame
// dropped silently (the stream was stopped).
func frameCode(err error) protocol.ErrorCode {
	switch {
	case errors.Is(err, ErrFrameNotJPEG):
		return protocol.CodeFrameNotJPEG
	case errors.Is(err, ErrFrameTooLarge):
		return protocol.CodeFrameTooLarge
	case errors.Is(err, ErrFrameTooFast):
		return protocol.CodeFrameTooFast
	case errors.Is(err, ErrFrameStopped):
		return ""
	}
	return protocol.CodeFrameBadHeader // short, magic, version, sequence
}

func (s *session) onEndOfFrames() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.ended:
	case s.state == protocol.StateWaitingStart:
		s.sendError(protocol.NewError(protocol.CodeUnexpectedMessage))
	case s.start.Camera.Mode != protocol.CameraRelay:
		s.sendError(protocol.NewError(protocol.CodeWrongMode))
	case s.over || s.state == protocol.StateSubmitting || s.eof:
		// accepted silently: the client cannot know when liveness ended
	default:
		s.eof = true
		s.cam.End()
	}
}
