module github.com/gatehouse/gatehouse/client

go 1.23.0

// A minimum under minimal version selection (a consumer's newer x/oauth2
// wins): v0.30.0 is the newest x/oauth2 whose
// own go line is 1.23 (later ones raise it), and post-dates the fix of
// GO-2025-3488 (v0.27.0).
require golang.org/x/oauth2 v0.30.0
