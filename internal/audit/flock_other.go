//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package audit

import (
	"fmt"
	"os"
)

// tryLock opens (creating) path. Without flock(2) it cannot tell a live
// Writer's spool directory from a dead one's, so every directory counts as
// free: on such systems processes must not share a spool directory.
func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}
