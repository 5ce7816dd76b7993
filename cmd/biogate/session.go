package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// demoConsentText is the consent text the terminal client shows and
// records when none is given.
const demoConsentText = "I agree that my face image is captured and compared with the reference photo held by the state for my IIN, for this verification only."

func runSession(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("session", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gw := fs.String("gateway", "", "the gateway, http://HOST:PORT or https://HOST:PORT")
	key := fs.String("key", envOr("BIOGATE_API_KEY", ""), "API key (default $BIOGATE_API_KEY); sent in a header, never in the URL")
	iinFlag := fs.String("iin", "", "the person's IIN")
	relaySrc := fs.String("relay", "", "relay mode: send this source's frames (file:, dir:, v4l2:, gst:) over the socket; default: kiosk mode")
	camera := fs.String("camera", "", "kiosk mode: the gateway camera's name (default: its default camera)")
	commands := fs.String("commands", "", "fixed liveness commands (the gateway must allow it; the result says so)")
	finger := fs.String("finger", "", "verify this finger (right_thumb ... left_little) on the gateway's fingerprint reader instead of a face")
	faceAndFinger := fs.Bool("face-and-finger", false, "with --finger: both required, the face first, then the finger")
	reader := fs.String("reader", "", "with --finger: the gateway reader's id from /v1/devices (default: its default reader)")
	fps := fs.Float64("fps", 10, "relay mode: at most this many frames per second sent, at the pace of their capture (a recording plays in real time)")
	asJSON := fs.Bool("json", false, "print the events as JSON lines; the last line is the result")
	consentText := fs.String("consent-text", demoConsentText, "the consent text the person accepted")
	origin := fs.String("origin", "", "Origin header to send (default: none)")
	clientNonce := fs.String("client-nonce", "", "the client_nonce to send, 16-128 characters of A-Z a-z 0-9 _ - (default: a random one); a relying party passes its own and checks it with doc verify --nonce")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biogate session --gateway http://HOST:PORT --key KEY --iin IIN [--relay SRC] [--commands c1,c2,...] [--finger NAME [--face-and-finger] [--reader ID]] [--json]")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *gw == "" || *iinFlag == "" || fs.NArg() > 0 || *fps <= 0 {
		fs.Usage()
		return exitUsage
	}
	u, err := url.Parse(*gw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		fmt.Fprintf(stderr, "biogate session: --gateway %q: want http://HOST:PORT or https://HOST:PORT\n", *gw)
		return exitUsage
	}
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path = "/v1/session"

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hdr := http.Header{}
	if *key != "" {
		hdr.Set("Authorization", "Bearer "+*key)
	}
	if *origin != "" {
		hdr.Set("Origin", *origin)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, u.String(), hdr)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			fmt.Fprintf(stderr, "biogate session: %s: %s\n", resp.Status, strings.TrimSpace(string(body)))
		} else {
			fmt.Fprintf(stderr, "biogate session: %v\n", err)
		}
		return exitFailure
	}
	defer conn.Close()
	var wmu sync.Mutex // gorilla allows one writer at a time
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteMessage(typ, b)
	}

	start := protocol.Start{
		IIN: *iinFlag, Modality: protocol.ModalityFace, ClientNonce: cmp.Or(*clientNonce, nonce()),
		Consent: &protocol.Consent{TextID: "biogate-cli-consent-v1", TextSHA256: sha256Hex(*consentText), AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraKiosk, Name: *camera},
	}
	if *relaySrc != "" {
		start.Camera = protocol.Camera{Mode: protocol.CameraRelay}
	}
	if *commands != "" {
		start.Commands = strings.Split(*commands, ",")
	}
	if *finger != "" {
		start.Modality, start.Finger = protocol.ModalityFinger, &protocol.FingerStart{Position: outcome.Finger(*finger), Reader: *reader}
		if *faceAndFinger {
			start.Modality = protocol.ModalityFaceAndFinger
		} else {
			start.Camera = protocol.Camera{}
		}
	}
	msg, err := protocol.Encode(start)
	if err != nil {
		fmt.Fprintf(stderr, "biogate session: %v\n", err)
		return exitUsage
	}
	if err := write(websocket.TextMessage, msg); err != nil {
		fmt.Fprintf(stderr, "biogate session: %v\n", err)
		return exitFailure
	}

	sendCtx, stopSending := context.WithCancel(ctx)
	var sender sync.WaitGroup
	defer func() { stopSending(); sender.Wait() }()
	if *relaySrc != "" {
		cam, err := devices.OpenCamera(ctx, *relaySrc)
		if err != nil {
			fmt.Fprintf(stderr, "biogate session: %v\n", err)
			return exitFailure
		}
		defer cam.Close()
		sender.Add(1)
		go func() {
			defer sender.Done()
			if err := sendFrames(sendCtx, cam, *fps, write); err != nil && sendCtx.Err() == nil {
				fmt.Fprintf(stderr, "biogate session: relay: %v\n", err)
			}
		}()
	}

	// Read events until the result (or the socket closes).
	code := exitFailure
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if code == exitFailure {
				fmt.Fprintf(stderr, "biogate session: connection closed: %v\n", err)
			}
			return code
		}
		m, err := protocol.DecodeServer(data)
		if err != nil {
			fmt.Fprintf(stderr, "biogate session: bad message from the gateway: %v\n", err)
			return exitFailure
		}
		if *asJSON {
			fmt.Fprintln(stdout, strings.TrimSpace(string(data)))
		} else {
			printEvent(stdout, m)
		}
		switch m := m.(type) {
		case *protocol.Result:
			stopSending()
			if m.Decision == protocol.DecisionMatch {
				code = exitOK
			} else {
				code = exitNoResult
			}
			return code
		case *protocol.Aborted:
			return exitFailure
		case *protocol.ErrorMessage:
			if m.Fatal {
				code = exitFailure
			}
		}
	}
}

// sendFrames reads cam and sends its frames as relay messages, at most fps
// a second, then end_of_frames. Frames go out at the pace of their capture
// times, so a recording plays in real time, as a phone's camera would
// deliver it; the frames in between are skipped. A live camera's frames
// are due as they arrive.
func sendFrames(ctx context.Context, cam devices.Camera, fps float64, write func(int, []byte) error) error {
	interval := time.Duration(float64(time.Second) / fps)
	var (
		seq         uint32
		buf         []byte
		first, due  time.Time // capture time of the first frame, and of the next to send
		wallAtFirst time.Time
	)
	for {
		f, err := cam.Read(ctx)
		if errors.Is(err, devices.ErrEndOfStream) {
			b, _ := protocol.Encode(protocol.EndOfFrames{LastSeq: seq})
			return write(websocket.TextMessage, b)
		}
		if err != nil {
			return err
		}
		if seq > 0 && f.Time.Before(due) {
			f.Close()
			continue
		}
		if seq == 0 {
			first, due, wallAtFirst = f.Time, f.Time, time.Now()
		}
		due = due.Add(interval)
		if due.Before(f.Time) {
			due = f.Time.Add(interval)
		}
		at := wallAtFirst.Add(f.Time.Sub(first)) // when the frame is due on the wall clock
		jpeg, err := frameJPEG(f)
		f.Close()
		if err != nil {
			return err
		}
		if wait := time.Until(at); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		seq++
		buf = relay.AppendMessage(buf[:0], relay.Header{Seq: seq, CaptureMillis: at.UnixMilli()}, jpeg)
		if err := write(websocket.BinaryMessage, buf); err != nil {
			return err
		}
	}
}

// frameJPEG encodes a BGR frame as JPEG (JPEG frames pass through).
func frameJPEG(f *devices.Frame) ([]byte, error) {
	if f.Format == devices.JPEG {
		return append([]byte(nil), f.Data...), nil
	}
	if err := f.Validate(); err != nil || f.Format != devices.BGR24 || f.Stride != f.Width*3 {
		return nil, fmt.Errorf("frame %d: not a packed BGR frame", f.Seq)
	}
	m, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, 85})
	if err != nil {
		return nil, err
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

func printEvent(w io.Writer, m protocol.ServerMessage) {
	switch m := m.(type) {
	case *protocol.Quality:
		return // too many for a terminal; --json shows them
	case *protocol.Command:
		if m.Status == protocol.CommandProgress {
			return
		}
	case *protocol.Result:
		b, _ := json.Marshal(m)
		fmt.Fprintf(w, "result      %s\n", b)
		return
	}
	b, _ := json.Marshal(m)
	fmt.Fprintf(w, "%-11s %s\n", m.MessageType(), b)
}

func nonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
