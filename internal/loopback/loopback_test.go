package loopback

import (
	"errors"
	"testing"
)

func TestGatewayURL(t *testing.T) {
	for _, s := range []string{"http://127.0.0.1:8080", "http://127.1.2.3:80", "http://[::1]:8080", "http://localhost:8080", "http://127.0.0.1:8080/"} {
		if u, err := GatewayURL(s); err != nil || u.Path != "" {
			t.Errorf("GatewayURL(%q) = %v, %v", s, u, err)
		}
	}
	for _, s := range []string{"http://10.0.0.1:80", "http://example.com:80", "http://[2001:db8::1]:80"} {
		if _, err := GatewayURL(s); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("GatewayURL(%q): %v, want ErrNotLoopback", s, err)
		}
	}
	for _, s := range []string{"", "https://127.0.0.1:8443", "ws://127.0.0.1:80", "http://u:p@127.0.0.1:80", "http://127.0.0.1:80/v1", "http://127.0.0.1:80?x=1"} {
		if _, err := GatewayURL(s); err == nil || errors.Is(err, ErrNotLoopback) {
			t.Errorf("GatewayURL(%q): %v, want a malformed address", s, err)
		}
	}
}
