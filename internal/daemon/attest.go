package daemon

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/attest"
)

// attester builds the app attestation verifiers from the trusted apps
// and roots; nil when no app is trusted. keys asking for attestation need
// one.
func (c Config) attester(keys gateway.Keys) (gateway.Attester, error) {
	if len(c.AttestAndroidApps) == 0 && len(c.AttestIOSApps) == 0 {
		if keys.Attesting() {
			return nil, errors.New("--api-keys: a key asks for app attestation: --attest-android-apps or --attest-ios-apps is required")
		}
		return nil, nil
	}
	var vs attest.Verifiers
	if len(c.AttestAndroidApps) > 0 {
		cfg := attest.AndroidConfig{}
		for _, s := range c.AttestAndroidApps {
			app, err := attest.ParseAndroidApp(s)
			if err != nil {
				return nil, fmt.Errorf("--attest-android-apps: %w", err)
			}
			cfg.Apps = append(cfg.Apps, app)
		}
		roots, err := readRoots(c.AttestAndroidRoots, "--attest-android-roots")
		if err != nil {
			return nil, err
		}
		cfg.Roots = roots
		if c.AttestAndroidStatus != "" {
			b, err := os.ReadFile(c.AttestAndroidStatus)
			if err != nil {
				return nil, fmt.Errorf("--attest-android-status: %w", err)
			}
			if cfg.Revoked, err = attest.ParseStatusList(b); err != nil {
				return nil, fmt.Errorf("--attest-android-status: %w", err)
			}
		}
		v, err := attest.NewAndroid(cfg)
		if err != nil {
			return nil, fmt.Errorf("--attest-android-apps: %w", err)
		}
		vs.Android = v
	}
	if len(c.AttestIOSApps) > 0 {
		roots, err := readRoots(c.AttestIOSRoots, "--attest-ios-roots")
		if err != nil {
			return nil, err
		}
		v, err := attest.NewApple(attest.AppleConfig{AppIDs: c.AttestIOSApps, Roots: roots, AllowDevelopment: c.AttestIOSDevelopment})
		if err != nil {
			return nil, fmt.Errorf("--attest-ios-apps: %w", err)
		}
		vs.IOS = v
	}
	return vs, nil
}

// readRoots reads a PEM file of roots; "" keeps the embedded ones (nil).
func readRoots(file, flag string) ([]*x509.Certificate, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	roots, err := attest.ParsePEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return roots, nil
}
