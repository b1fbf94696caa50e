package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestClassifyUnavailable feeds classify the errors both drivers give when
// the database cannot be reached (real ones where a test can provoke them,
// synthetic ones where it cannot), and some that must stay unclassified.
func TestClassifyUnavailable(t *testing.T) {
	ctx := context.Background()

	// PostgreSQL: a connection refused, as pgx reports it.
	pgDown := func() error {
		_, err := pgx.Connect(ctx, "postgres://postgres@"+closedPort(t)+"/postgres?sslmode=disable&connect_timeout=2")
		if err == nil {
			t.Fatal("connect to a closed port: no error")
		}
		return err
	}()
	// The same through database/sql and Store.Open, as the server sees it.
	openDown := func() error {
		_, err := Open(ctx, "postgres://postgres@"+closedPort(t)+"/postgres?sslmode=disable")
		if err == nil {
			t.Fatal("open on a closed port: no error")
		}
		return err
	}()

	// SQLite: a file that cannot be opened.
	cantOpen := func() error {
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "missing", "dir", "x.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		return db.PingContext(ctx)
	}()
	// SQLite: a write lock held past the busy timeout.
	busy := func() error {
		path := filepath.Join(t.TempDir(), "busy.db")
		holder, err := sql.Open("sqlite", path+"?_txlock=immediate&_journal_mode=WAL")
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		tx, err := holder.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		other, err := sql.Open("sqlite", path+"?_txlock=immediate&_journal_mode=WAL&_busy_timeout=20")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		tx2, err := other.BeginTx(ctx, nil)
		if err == nil {
			tx2.Rollback()
			t.Fatal("second writer: no SQLITE_BUSY")
		}
		return err
	}()
	// A pool closed under a request (shutdown).
	closed := func() error {
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "closed.db"))
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		return db.PingContext(ctx)
	}()
	// A deadline that passed while waiting for the database.
	deadline := func() error {
		dctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
		defer cancel()
		<-dctx.Done()
		_, err := pgx.Connect(dctx, "postgres://postgres@"+closedPort(t)+"/postgres?sslmode=disable")
		return err
	}()
	canceled := func() error {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := pgx.Connect(cctx, "postgres://postgres@"+closedPort(t)+"/postgres?sslmode=disable")
		return err
	}()

	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"pgx connection refused", pgDown, ErrUnavailable},
		{"Open on a closed port", openDown, ErrUnavailable},
		{"pgx deadline", deadline, ErrUnavailable},
		{"pgx canceled by the caller", canceled, nil},
		{"SQLite cannot open", cantOpen, ErrUnavailable},
		{"SQLite busy", busy, ErrUnavailable},
		{"pool closed", closed, ErrUnavailable},
		{"net.OpError reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, ErrUnavailable},
		{"ECONNREFUSED", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), ErrUnavailable},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), ErrUnavailable},
		{"EOF", io.EOF, ErrUnavailable},
		{"driver.ErrBadConn", driver.ErrBadConn, ErrUnavailable},
		{"context deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), ErrUnavailable},
		{"context canceled", fmt.Errorf("query: %w", context.Canceled), nil},
		{"08006 connection failure", &pgconn.PgError{Code: "08006"}, ErrUnavailable},
		{"08P01 protocol violation", &pgconn.PgError{Code: "08P01"}, ErrUnavailable},
		{"57P01 admin shutdown", &pgconn.PgError{Code: "57P01"}, ErrUnavailable},
		{"57P02 crash shutdown", &pgconn.PgError{Code: "57P02"}, ErrUnavailable},
		{"57P03 cannot connect now", &pgconn.PgError{Code: "57P03"}, ErrUnavailable},
		{"53300 too many connections", &pgconn.PgError{Code: "53300"}, ErrUnavailable},
		{"25006 read-only transaction", &pgconn.PgError{Code: "25006"}, ErrUnavailable},
		{"57014 query canceled", &pgconn.PgError{Code: "57014"}, ErrUnavailable},
		{"42P01 undefined table", &pgconn.PgError{Code: "42P01"}, nil},
		{"23505 unique", &pgconn.PgError{Code: "23505"}, ErrConflict},
		{"22021 NUL in text", &pgconn.PgError{Code: "22021"}, ErrInvalidInput},
		{"22P05 jsonb \\u0000", &pgconn.PgError{Code: "22P05"}, ErrInvalidInput},
		{"2201B bad regex", &pgconn.PgError{Code: "2201B"}, ErrInvalidInput},
		{"plain error", errors.New("boom"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error to classify")
			}
			if got := classify(tc.err); got != tc.want {
				t.Errorf("classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
			w := wrap("op", tc.err)
			if tc.want != nil && !errors.Is(w, tc.want) {
				t.Errorf("wrap(%v) = %v, not %v", tc.err, w, tc.want)
			}
			if !errors.Is(w, tc.err) {
				t.Errorf("wrap(%v) lost the driver error: %v", tc.err, w)
			}
		})
	}
}

// TestStoreUnavailable checks that the store's own paths (statements,
// transactions, ping) report a closed pool as ErrUnavailable.
func TestStoreUnavailable(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping: %v, want ErrUnavailable", err)
	}
	if err := s.Tx(ctx, func(q *Queries) error { return nil }); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Tx: %v, want ErrUnavailable", err)
	}
	if _, err := s.ListApplications(ctx, tenant, AppFilter{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("ListApplications: %v, want ErrUnavailable", err)
	}
}

// TestConnectTimeout checks that a DSN without connect_timeout gets
// ConnectTimeout and that one with it keeps its own.
func TestConnectTimeout(t *testing.T) {
	for dsn, want := range map[string]time.Duration{
		"postgres://postgres@" + closedPort(t) + "/x?sslmode=disable":                    ConnectTimeout,
		"postgres://postgres@" + closedPort(t) + "/x?sslmode=disable&connect_timeout=17": 17 * time.Second,
	} {
		cfg, err := pgConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ConnectTimeout != want {
			t.Errorf("%s: connect timeout %v, want %v", dsn, cfg.ConnectTimeout, want)
		}
	}
}
