//go:build unix

package checkpoint

import (
	"fmt"
	"log/syslog"
)

// DialSyslog returns a Witness that sends each checkpoint line to syslog
// (facility daemon, priority notice, tag biogate-checkpoint): the local
// syslog when spec is "syslog", a remote one when spec is udp://HOST:PORT
// or tcp://HOST:PORT. The syslog client reconnects by itself after a
// failed write. The caller closes it.
func DialSyslog(spec string) (*SyslogWitness, error) {
	network, addr, err := ParseWitness(spec)
	switch {
	case err != nil:
		return nil, err
	case network == "syslog":
		network = ""
	case network != "udp" && network != "tcp":
		return nil, fmt.Errorf("checkpoint: witness %q is not syslog", spec)
	}
	w, err := syslog.Dial(network, addr, syslog.LOG_NOTICE|syslog.LOG_DAEMON, "biogate-checkpoint")
	if err != nil {
		return nil, fmt.Errorf("checkpoint: witness: %w", err)
	}
	return &SyslogWitness{w: w}, nil
}

// SyslogWitness is a Witness writing to syslog.
type SyslogWitness struct{ w *syslog.Writer }

// Witness implements Witness.
func (s *SyslogWitness) Witness(line string) error { return s.w.Notice(line) }

// Close closes the connection to syslog.
func (s *SyslogWitness) Close() error { return s.w.Close() }
