package console_test

import (
	"os"
	"testing"

	"github.com/gatehouse/gatehouse/internal/customizer"
)

// TestMain lets the test binary serve as the JWT customizer's worker (the
// customizer page's Test button and customized tokens run scripts).
func TestMain(m *testing.M) {
	customizer.MainIfWorker()
	os.Exit(m.Run())
}
