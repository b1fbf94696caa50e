package customizer

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the engine's worker.
func TestMain(m *testing.M) {
	MainIfWorker()
	os.Exit(m.Run())
}
