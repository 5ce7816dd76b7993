// Package gocvcam provides cameras backed by OpenCV's VideoCapture (through
// gocv) and registers them with devices at init under three schemes. Import
// it for that side effect and open cameras with devices.OpenCamera:
//
//	import _ "github.com/biogate/biogate/devices/gocvcam"
//
//	cam, err := devices.OpenCamera(ctx, "v4l2:/dev/v4l/by-id/usb-...-index0")
//
// # v4l2:TARGET[?width=W&height=H&fps=F&fourcc=CCCC]
//
// A V4L2 capture device: a node (/dev/video0), a stable udev link
// (/dev/v4l/by-id/..., /dev/v4l/by-path/...; Info.ID keeps the link), or a
// bare index as a convenience (0 is /dev/video0). The query asks the driver
// for a size, rate and pixel format; it may pick the nearest it supports,
// and Info reports what it picked. A missing node, one that is not a
// video4linux character device, or one that cannot be opened wraps
// devices.ErrNoDevice (a device busy in another program is reported so too:
// OpenCV does not tell the two apart). Live. A failed read is
// devices.ErrDisconnected once the node has gone (sticky), otherwise
// devices.ErrTimeout (read on). Frame.Time is when the read returned.
//
// # gst:PIPELINE
//
// A GStreamer pipeline in gst-launch syntax whose raw video reaches an
// appsink. A pipeline that names no appsink gets " ! videoconvert ! appsink"
// appended. One that fails to parse or start wraps devices.ErrNoDevice with
// "gstreamer pipeline failed to start". Live unless it starts with filesrc
// or multifilesrc (a heuristic: those are paced by the reader). Through
// VideoCapture a GStreamer end-of-stream and a pipeline error look the same,
// so a failed read is devices.ErrEndOfStream (sticky), except for a v4l2src
// whose device= node has gone: devices.ErrDisconnected. Frame.Time is when
// the read returned.
//
// # file:PATH[?fps=N]
//
// A video file decoded by FFmpeg (mp4, avi, mkv, raw MJPEG, ...). A missing,
// empty or non-regular file, a folder, and anything FFmpeg cannot open or
// decode a first frame from (a text file, a truncated header) wrap
// devices.ErrNoDevice. Not live; the end, or a cut in a truncated file, is
// devices.ErrEndOfStream (sticky). Frame.Time is the open time plus the
// frame's position in the file, so offsets between frames are offsets in
// the clip; a frame without a timestamp is placed 1/FPS after the one before
// (every frame of a raw MJPEG stream, the last few of an H.264 clip). FFmpeg
// assumes 25 fps for raw MJPEG: give the real rate with ?fps=N, which also
// sets Info.FPS. A path that exists is never split at '?'.
//
// # Frames and ownership
//
// The caller of devices.OpenCamera owns the Camera and closes it. Every
// Frame that Read returns is BGR24 and owned by the caller, who closes it
// exactly once; closing returns its buffer to a small per-camera free list
// (a devices.BufferPool), so a reader that closes each frame before the next
// read allocates no new pixel buffer in steady state. Frames stay valid after the camera is
// closed. Sequence numbers start at 0 and Frame.Source is Info.ID. Gray and
// BGRA captures are converted; any other pixel type is devices.ErrBadFrame,
// reported before the Mat reaches code that could throw.
//
// # Concurrency
//
// One goroutine reads. Read checks its ctx before the native read, which
// cannot be interrupted once started. Close may be called from any
// goroutine and is idempotent; it waits for a Read in progress to return.
// That wait is bounded for files and for V4L2 (OpenCV's select timeout, 10 s
// unless OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT says otherwise), but not for a
// GStreamer pipeline whose source stalls: OpenCV 4.6 pulls from the appsink
// without a timeout.
package gocvcam
