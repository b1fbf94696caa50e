package pgcluster

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// TestCluster creates a cluster, checks it answers, stops it (it no
// longer answers) and starts it again.
func TestCluster(t *testing.T) {
	c := New(t)
	db, err := sql.Open("pgx", c.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var port int
	if err := db.QueryRowContext(ctx, "SELECT current_setting('port')::int").Scan(&port); err != nil {
		t.Fatal(err)
	}
	if port != c.Port {
		t.Fatalf("connected to port %d, want %d", port, c.Port)
	}
	c.Stop()
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("ping after Stop: no error")
	}
	c.Start()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("ping after Start: %v", err)
	}
}
