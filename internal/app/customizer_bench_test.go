package app

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/management"
)

// BenchmarkTokenHandlerCustomized is BenchmarkTokenHandler with a
// client-credentials JWT customizer configured: Logto's sample script,
// which returns the environment variables as claims. The difference
// between the two is the cost of the customizer per token.
func BenchmarkTokenHandlerCustomized(b *testing.B) {
	srv := benchFixture(b)
	_, _, err := srv.Service().PutJWTCustomizer(context.Background(), &management.JWTCustomizer{
		Script: `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  return { ...environmentVariables };
};`,
		EnvironmentVariables: json.RawMessage(`{"foo":"bar","API_KEY":"12345"}`),
	})
	if err != nil {
		b.Fatal(err)
	}
	benchToken(b, srv.Handler())
}
