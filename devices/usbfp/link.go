package usbfp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/gousb"

	"github.com/biogate/biogate/devices"
)

// ErrProtocol: the device answered something the driver cannot use (a
// malformed frame, an unknown response, a short register read). The reader
// may work again after a replug; retrying the same capture rarely helps.
var ErrProtocol = errors.New("usbfp: protocol error")

// link is one opened and claimed USB device as a driver sees it: vendor
// control requests, bulk and interrupt endpoints, each transfer bounded by a
// timeout and classified into the devices sentinels. It is used by one
// capture at a time.
type link struct {
	dev  *gousb.Device
	intf *gousb.Interface
	// gone reports whether the device has left the bus; it lets a timed-out
	// transfer be told apart from an unplugged device.
	gone func() bool
	// closed is closed by Close to stop a capture between transfers.
	closed <-chan struct{}
	// lost is closed when the manager's poll found the device gone.
	lost <-chan struct{}
}

const (
	vendorOut = 0x40 // host to device, vendor, recipient device
	vendorIn  = 0xc0 // device to host, vendor, recipient device
)

// check returns ErrClosed once the session was closed and ctx.Err() (wrapped
// with ErrTimeout for a deadline) once ctx is done. Drivers call it between
// transfers, since a control transfer cannot be cancelled.
func (l *link) check(ctx context.Context) error {
	select {
	case <-l.lost:
		return devices.ErrDisconnected
	default:
	}
	select {
	case <-l.closed:
		return devices.ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return ctxErr(err)
	}
	return nil
}

// sleep waits d, or less if ctx ends or the session stops.
func (l *link) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return l.check(ctx)
	}
}

func ctxErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", devices.ErrTimeout, err)
	}
	return err
}

// classify turns a gousb error into one that wraps a devices sentinel.
func (l *link) classify(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := l.check(ctx); cerr != nil {
		return fmt.Errorf("%s: %w", what, cerr)
	}
	switch {
	case errors.Is(err, gousb.ErrorNoDevice), errors.Is(err, gousb.TransferNoDevice):
		return fmt.Errorf("%s: %w (%v)", what, devices.ErrDisconnected, err)
	case l.gone != nil && l.gone():
		return fmt.Errorf("%s: %w (%v)", what, devices.ErrDisconnected, err)
	case errors.Is(err, gousb.ErrorTimeout), errors.Is(err, gousb.TransferTimedOut):
		return fmt.Errorf("%s: %w (%v)", what, devices.ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// controlIn reads n bytes with a vendor request; a short answer is an error.
func (l *link) controlIn(ctx context.Context, req uint8, val, idx uint16, n int) ([]byte, error) {
	if err := l.check(ctx); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	got, err := l.dev.Control(vendorIn, req, val, idx, buf)
	if err != nil {
		return nil, l.classify(ctx, fmt.Sprintf("control read %#04x", val), err)
	}
	if got != n {
		return nil, fmt.Errorf("control read %#04x: %w: %d of %d bytes", val, ErrProtocol, got, n)
	}
	return buf, nil
}

// controlOut writes data with a vendor request; a short write is an error.
func (l *link) controlOut(ctx context.Context, req uint8, val, idx uint16, data []byte) error {
	if err := l.check(ctx); err != nil {
		return err
	}
	got, err := l.dev.Control(vendorOut, req, val, idx, data)
	if err != nil {
		return l.classify(ctx, fmt.Sprintf("control write %#04x", val), err)
	}
	if got != len(data) {
		return fmt.Errorf("control write %#04x: %w: %d of %d bytes", val, ErrProtocol, got, len(data))
	}
	return nil
}

// bulkOut writes data to endpoint ep (its number, without the direction
// bit) within timeout.
func (l *link) bulkOut(ctx context.Context, ep int, data []byte, timeout time.Duration) error {
	if err := l.check(ctx); err != nil {
		return err
	}
	out, err := l.intf.OutEndpoint(ep)
	if err != nil {
		return fmt.Errorf("endpoint %d out: %w", ep, err)
	}
	tctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	n, err := out.WriteContext(tctx, data)
	if err != nil {
		return l.classify(ctx, fmt.Sprintf("bulk write ep %d", ep), timeoutErr(tctx, err))
	}
	if n != len(data) {
		return fmt.Errorf("bulk write ep %d: %w: %d of %d bytes", ep, ErrProtocol, n, len(data))
	}
	return nil
}

// bulkIn reads up to n bytes from endpoint ep within timeout (0: no limit
// but ctx) and returns what arrived.
func (l *link) bulkIn(ctx context.Context, ep, n int, timeout time.Duration) ([]byte, error) {
	if err := l.check(ctx); err != nil {
		return nil, err
	}
	in, err := l.intf.InEndpoint(ep)
	if err != nil {
		return nil, fmt.Errorf("endpoint %d in: %w", ep, err)
	}
	buf := make([]byte, n)
	tctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	got, err := in.ReadContext(tctx, buf)
	if err != nil {
		return nil, l.classify(ctx, fmt.Sprintf("bulk read ep %d", ep), timeoutErr(tctx, err))
	}
	return buf[:got], nil
}

// withTimeout bounds ctx by d when d > 0.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// timeoutErr reports a transfer cancelled by its own deadline as a USB
// timeout (gousb reports it as cancelled).
func timeoutErr(tctx context.Context, err error) error {
	if errors.Is(tctx.Err(), context.DeadlineExceeded) {
		return gousb.TransferTimedOut
	}
	return err
}

// pending is an IN transfer submitted now and collected later, so that
// other transfers can be in flight together with it (as the device and the
// recordings expect).
type pending struct {
	st   *gousb.ReadStream
	size int
}

// submitIn submits one read of n bytes on endpoint ep and returns at once.
func (l *link) submitIn(ep, n int) (*pending, error) {
	in, err := l.intf.InEndpoint(ep)
	if err != nil {
		return nil, fmt.Errorf("endpoint %d in: %w", ep, err)
	}
	st, err := in.NewStream(n, 1)
	if err != nil {
		return nil, l.classify(context.Background(), fmt.Sprintf("submit ep %d", ep), err)
	}
	return &pending{st: st, size: n}, nil
}

// wait collects the read: its bytes or a classified error. The stream is
// closed first, so nothing is resubmitted. A done ctx cancels the transfer.
func (p *pending) wait(ctx context.Context, l *link) ([]byte, error) {
	p.st.Close()
	buf := make([]byte, p.size)
	got, err := p.st.ReadContext(ctx, buf)
	if err != nil {
		return nil, l.classify(ctx, "bulk read", err)
	}
	return buf[:got], nil
}

// abandon cancels the read and waits for its cancellation.
func (p *pending) abandon(l *link) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.wait(ctx, l)
}

// irqEvent is one interrupt packet or the error that ended the stream.
type irqEvent struct {
	data []byte
	err  error
}

// irqStream keeps one interrupt read in flight at all times, resubmitting
// it as soon as a packet arrived (before the packet is handled), as
// libfprint's interrupt handler does. Packets queue in a bounded channel.
type irqStream struct {
	events chan irqEvent
	cancel context.CancelFunc
	done   chan struct{}
}

// startIRQ submits the first interrupt read on endpoint ep with packets of
// size bytes and returns; the stream runs until stop.
func (l *link) startIRQ(ep, size int) (*irqStream, error) {
	in, err := l.intf.InEndpoint(ep)
	if err != nil {
		return nil, fmt.Errorf("endpoint %d in: %w", ep, err)
	}
	st, err := in.NewStream(size, 1)
	if err != nil {
		return nil, l.classify(context.Background(), "interrupt submit", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &irqStream{events: make(chan irqEvent, 16), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer st.Close()
		for {
			buf := make([]byte, size)
			n, err := st.ReadContext(ctx, buf)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				select {
				case s.events <- irqEvent{err: l.classify(ctx, "interrupt read", err)}:
				case <-ctx.Done():
				}
				return
			}
			select {
			case s.events <- irqEvent{data: buf[:n]}:
			default:
				// The driver stopped reading (it is failing); drop.
			}
		}
	}()
	return s, nil
}

// stop cancels the pending interrupt read and waits for the goroutine.
func (s *irqStream) stop() {
	s.cancel()
	<-s.done
}
