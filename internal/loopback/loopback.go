// Package loopback keeps the repository's load and attack tools on this
// machine: they accept only a gateway address on a loopback interface.
package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/url"
)

// ErrNotLoopback: the address is not on this machine.
var ErrNotLoopback = errors.New("gateway is not on loopback (127.0.0.0/8, ::1, localhost)")

// GatewayURL parses an http://HOST:PORT gateway address and refuses any
// host that is not loopback, any user, path or query: the URL it returns
// holds only the scheme and host.
func GatewayURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("gateway %q: want http://HOST:PORT", s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("gateway %q: want http://HOST:PORT without user, path or query", s)
	}
	if !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("gateway %q: %w", s, ErrNotLoopback)
	}
	return &url.URL{Scheme: "http", Host: u.Host}, nil
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
