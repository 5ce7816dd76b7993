//go:build !unix

package checkpoint

import "errors"

// DialSyslog fails: Go has no syslog client on this system.
func DialSyslog(spec string) (*SyslogWitness, error) {
	return nil, errors.New("checkpoint: witness: syslog is not available on this system")
}

// SyslogWitness is a Witness writing to syslog.
type SyslogWitness struct{}

// Witness implements Witness.
func (s *SyslogWitness) Witness(line string) error { return errors.New("no syslog") }

// Close does nothing.
func (s *SyslogWitness) Close() error { return nil }
