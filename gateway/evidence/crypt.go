package evidence

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// keySize is the AES-256 key length.
const keySize = 32

// seal encrypts an image with AES-256-GCM under key, with a random nonce and
// the record id and image name as additional data, so a ciphertext moved to
// another row or name no longer decrypts. The result is nonce || ciphertext.
func sealImage(key []byte, id, name string, jpeg []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(jpeg)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, jpeg, imageAD(id, name)), nil
}

// openImage reverses sealImage; ErrWrongKey when it does not authenticate.
func openImage(key []byte, id, name string, blob []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(blob) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrWrongKey
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, blob[:n], blob[n:], imageAD(id, name))
	if err != nil {
		return nil, ErrWrongKey
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) == 0 {
		return nil, ErrNoKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("evidence: image key: %w", err)
	}
	return cipher.NewGCM(block)
}

// imageAD is the additional data: id and name, each length-prefixed.
func imageAD(id, name string) []byte {
	ad := binary.BigEndian.AppendUint32(nil, uint32(len(id)))
	ad = append(ad, id...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(name)))
	return append(ad, name...)
}

// LoadOrCreateKey returns the image key kept in the file at path (base64 of
// 32 bytes); when the file does not exist it creates one with a new random
// key, mode 0600 (and its folder, 0700). It never logs or prints the key.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := ReadKey(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	key = make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("evidence: image key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it first
		return ReadKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: image key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err2 := f.Sync(); err == nil {
		err = err2
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("evidence: image key: %w", err)
	}
	return key, nil
}

// ReadKey reads an image key file written by LoadOrCreateKey. A missing
// file gives an error matching os.ErrNotExist.
func ReadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: image key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("evidence: image key %s: not base64 of %d bytes", path, keySize)
	}
	return key, nil
}
