//go:build !unix

package document

import "sync"

// processLock stands in for flock where there is none: it serialises the
// keyrings of one process only, so two processes must not share a folder.
var processLock sync.Mutex

func lockDir(string) (unlock func(), err error) {
	processLock.Lock()
	return processLock.Unlock, nil
}
