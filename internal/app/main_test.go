package app

import (
	"os"
	"testing"

	"github.com/gatehouse/gatehouse/internal/customizer"
)

// TestMain lets the test binary serve as the JWT customizer's worker.
func TestMain(m *testing.M) {
	customizer.MainIfWorker()
	os.Exit(m.Run())
}
