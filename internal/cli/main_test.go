package cli_test

import (
	"os"
	"testing"

	"github.com/gatehouse/gatehouse/internal/customizer"
)

// TestMain lets the test binary serve as the JWT customizer's worker
// process, as the gatehouse binary does (apply sets a customizer).
func TestMain(m *testing.M) {
	customizer.MainIfWorker()
	os.Exit(m.Run())
}
