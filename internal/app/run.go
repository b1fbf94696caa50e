package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/bench"
	"github.com/gatehouse/gatehouse/internal/cli"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/customizer"
	"github.com/gatehouse/gatehouse/internal/version"
)

const usage = `Gatehouse: a machine-to-machine OAuth 2.0 authorization server.

Usage:
  gatehouse serve [flags]    run the server (SQLite in ./data unless configured)
  gatehouse bench [flags]    load-test a token endpoint (gatehouse bench -h)
  gatehouse bench baseline   serve a bare token endpoint to compare with (the lower bound)
  gatehouse bench provision  create N apps through the Management API for bench -credentials
  gatehouse bench writes     send Management API writes at a fixed rate during a bench
  gatehouse bench jwks       print the JWK Set of a key for bench -auth private_key_jwt
  gatehouse backup FILE      write an online copy of the SQLite database (gatehouse backup -h)
  gatehouse rekey [flags]    re-seal every secret under a new master key (gatehouse rekey -h)
  gatehouse version          print the version, commit and Go version (also --version)
  gatehouse help             show this text

Management commands, built on the Management API ("gatehouse apps -h";
docs/cli.md):
` + cli.Usage + `
Run "gatehouse serve -h" for the server's settings.
`

// Run runs the gatehouse command with args (without the program name) and
// returns the process exit code: 0 success, 1 failure, 2 bad usage or
// configuration. ctx is cancelled on SIGINT/SIGTERM.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		if len(args) > 1 {
			switch args[1] {
			case "baseline":
				return bench.ServeBaseline(ctx, args[2:], stdout, stderr)
			case "provision":
				return bench.Provision(ctx, args[2:], getenv, stdout, stderr)
			case "writes":
				return bench.Writes(ctx, args[2:], getenv, stdout, stderr)
			case "jwks":
				return bench.JWKS(args[2:], stdout, stderr)
			}
		}
		return bench.Run(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return backup(ctx, args[1:], getenv, stdout, stderr)
	case "rekey":
		return rekey(ctx, args[1:], getenv, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version.Get())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	if slices.Contains(cli.Commands(), args[0]) {
		return cli.Run(ctx, args, getenv, stdout, stderr)
	}
	fmt.Fprintf(stderr, "gatehouse: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(getenv, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, config.Usage())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse: %v\n", err)
		return 2
	}
	log := NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	start := time.Now()
	gcCtx, stopGC := context.WithCancel(ctx)
	defer stopGC()
	go tuneGC(gcCtx, getenv)

	srv, err := New(ctx, cfg, Options{Logger: log, Notice: stderr})
	if errors.Is(err, ErrDataDirLocked) {
		fmt.Fprintf(stderr, "gatehouse: %v\n", err)
		return 2
	}
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	hs, err := httpServer(cfg, srv.Handler(), log)
	if err != nil {
		log.Error("cannot start", "err", err)
		srv.Close(context.Background())
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Listen, "err", err)
		srv.Close(context.Background())
		return 1
	}
	if cfg.MetricsListen != "" {
		stop, err := startMetrics(cfg.MetricsListen, srv.Metrics().Handler(), log)
		if err != nil {
			log.Error("cannot listen", "addr", cfg.MetricsListen, "err", err)
			hs.Close()
			srv.Close(context.Background())
			return 1
		}
		defer stop()
	}
	if cfg.DebugListen != "" {
		stop, err := startDebug(cfg.DebugListen, log)
		if err != nil {
			log.Error("cannot listen", "addr", cfg.DebugListen, "err", err)
			hs.Close()
			srv.Close(context.Background())
			return 1
		}
		defer stop()
	}
	served := make(chan error, 1)
	go func() { served <- serveHTTP(hs, ln) }()
	log.Info("gatehouse ready", "addr", ln.Addr().String(), "tls", cfg.TLS(), "issuer", cfg.Issuer(),
		"database", srv.Store().Dialect(), "startup", time.Since(start).Round(time.Millisecond).String())

	code := 0
	select {
	case err := <-served:
		log.Error("server stopped", "err", err)
		code = 1
	case <-ctx.Done():
		log.Info("shutting down: draining requests")
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown: requests still running were cut off", "err", err)
	}
	if err := srv.Close(sctx); err != nil {
		log.Error("shutdown", "err", err)
		code = 1
	}
	log.Info("stopped")
	return code
}

// httpServer is the public listener's server: timeouts, and TLS when the
// configuration names a certificate.
func httpServer(cfg config.Config, h http.Handler, log *slog.Logger) (*http.Server, error) {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLS() {
		tc, err := tlsConfig(cfg.TLSCertFile, cfg.TLSKeyFile, log)
		if err != nil {
			return nil, err
		}
		hs.TLSConfig = tc
	}
	return hs, nil
}

// serveHTTP serves hs on ln, over TLS when hs has a TLS configuration.
func serveHTTP(hs *http.Server, ln net.Listener) error {
	if hs.TLSConfig != nil {
		return hs.ServeTLS(ln, "", "")
	}
	return hs.Serve(ln)
}

// Main is the body of cmd/gatehouse: the process's arguments and
// environment, a context cancelled on SIGINT/SIGTERM, and the exit code.
func Main(ctx context.Context) int {
	// The binary is also the JWT customizer's worker (started by the
	// server itself); a worker never returns from here.
	customizer.MainIfWorker()
	return Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
}
