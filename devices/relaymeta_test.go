package devices

import (
	"testing"
	"time"
)

func TestSetRelay(t *testing.T) {
	f := NewFrame(3, time.Unix(10, 0), "cam", JPEG, 0, 0, 0, []byte{1, 2}, nil)
	if f.Relay != nil {
		t.Fatal("a new frame has relay metadata")
	}
	m := RelayMeta{ClientTime: time.UnixMilli(1234), ClientSeq: 3, Arrival: time.Unix(10, 0), MessageBytes: 18}
	f.SetRelay(m)
	g := NewFrame(4, time.Unix(11, 0), "cam", JPEG, 0, 0, 0, []byte{1, 2}, nil)
	g.SetRelay(RelayMeta{ClientSeq: 4})
	f.Close()
	if f.Relay == nil || *f.Relay != m || g.Relay.ClientSeq != 4 {
		t.Errorf("relay metadata %+v after Close, want %+v (other frame %+v)", f.Relay, m, g.Relay)
	}
}
