package bench

import (
	"context"
	"net"
	"os"
	"testing"
)

func TestZZShow(t *testing.T) {
	Run(context.Background(), []string{"-h"}, func(string) string { return "" }, os.Stdout, os.Stderr)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go rawServer(ln)
	u := "http://" + ln.Addr().String() + "/oidc/token"
	Run(context.Background(), []string{"-url", u, "-client-id", "a", "-client-secret", "b", "-d", "3s", "-c", "64"}, func(string) string { return "" }, os.Stdout, os.Stderr)
	Run(context.Background(), []string{"-url", u, "-client-id", "a", "-client-secret", "b", "-d", "3s", "-c", "64", "-rate", "20000"}, func(string) string { return "" }, os.Stdout, os.Stderr)
	Run(context.Background(), []string{"-url", u, "-client-id", "a", "-client-secret", "b", "-d", "1s", "-c", "8", "-rate", "1000", "-json"}, func(string) string { return "" }, os.Stdout, os.Stderr)
}
