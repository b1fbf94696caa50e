// Command shopping-api is the seeds' "Online shopping" API, protected with
// package protect: GET /products needs the read:products scope, POST
// /products write:products, in tokens that Gatehouse (or any RFC 9068
// issuer) issues for the resource https://shopping.api. The products live
// in memory. See README.md for the walk with Gatehouse.
//
//	go run ./examples/shopping-api -issuer http://localhost:3001/oidc -audience https://shopping.api -listen 127.0.0.1:4000
//
// Flags override the environment variables SHOPPING_API_ISSUER,
// SHOPPING_API_AUDIENCE and SHOPPING_API_LISTEN.
package main

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
	"os/signal"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/protect"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "shopping-api:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. It logs "listening on http://<addr>" once the
// listener is open (with -listen 127.0.0.1:0, the port chosen).
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("shopping-api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := func(env, fallback string) string {
		if v := getenv(env); v != "" {
			return v
		}
		return fallback
	}
	issuer := fs.String("issuer", def("SHOPPING_API_ISSUER", "http://localhost:3001/oidc"), "token issuer, exactly as in the tokens' iss ($SHOPPING_API_ISSUER)")
	audience := fs.String("audience", def("SHOPPING_API_AUDIENCE", "https://shopping.api"), "this API's resource indicator ($SHOPPING_API_AUDIENCE)")
	listen := fs.String("listen", def("SHOPPING_API_LISTEN", "127.0.0.1:4000"), "address to listen on ($SHOPPING_API_LISTEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	startCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	v, err := protect.New(startCtx, *issuer, *audience)
	cancel()
	if err != nil {
		return err
	}
	defer v.Close()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newHandler(v, newStore(), log), ReadHeaderTimeout: 10 * time.Second}
	log.Info("listening on http://"+ln.Addr().String(), "issuer", *issuer, "audience", *audience)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
