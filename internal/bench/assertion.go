package bench

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	gh "github.com/gatehouse/gatehouse/client"
)

const (
	// authPrivateKeyJWT: each request carries a client assertion (RFC 7523
	// §2.2) signed with -key instead of a secret.
	authPrivateKeyJWT = "private_key_jwt"

	// closedLoopPool is how many assertions a closed-loop run signs before
	// the clock starts (-presign overrides it): a closed loop's request count
	// is not known ahead.
	closedLoopPool = 10_000
	// maxPoolAge bounds an open-loop pool to this many seconds of -rate, so
	// that the last pre-signed assertion is used well within its minute of
	// life (the server accepts an exp up to 30 s past).
	maxPoolAge = 30
	// maxPool bounds the default pool's memory (a request with its
	// assertion is under a kilobyte).
	maxPool = 100_000
)

// loadKey reads a PEM private key (client.ParsePrivateKey: EC P-256 or
// P-384, Ed25519 or RSA; other PEM blocks, such as the "EC PARAMETERS"
// openssl ecparam writes first, are skipped).
// It returns the key and its JWS algorithm, the one the client
// package signs with.
func loadKey(name string) (crypto.Signer, string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, "", fmt.Errorf("-key: %w", err)
	}
	s, err := gh.ParsePrivateKey(b)
	if err != nil {
		return nil, "", fmt.Errorf("-key %s: %w", name, err)
	}
	alg, err := gh.KeyAlgorithm(s.Public())
	if err != nil {
		return nil, "", fmt.Errorf("-key %s: %w", name, err)
	}
	return s, alg, nil
}

// assertionPool gives every request of a private_key_jwt run its own
// request bytes, carrying a fresh assertion (random jti, exp one minute
// after signing, aud -aud), signed ahead so that the connections do not
// sign on their hot path.
//
// Design: a buffered channel of complete requests. Before the clock starts
// it is filled (on every core); during the run, producer goroutines (one per
// core) top it up, blocking while it is full. A connection takes the next
// request without waiting; only if the channel is empty (the producers fell
// behind) does it sign one itself, and that is counted and reported. The
// number signed ahead is the pool's size: in open loop (-rate) it is every
// request of the run, so the measured phase signs nothing, unless the run is
// longer than 30 s of -rate or 100,000 requests (assertions live one
// minute); in closed loop, whose request count is not known, 10,000. Either
// way -presign N sets it. In open loop, the producers also stop once the
// run's requests are all signed.
type assertionPool struct {
	sign  func(context.Context) (string, error)
	build func(assertion string) []byte
	ready chan []byte
	// budget is how many the producers may sign in all (pre-fill
	// included); negative: no limit. claimed counts the ones they took on.
	budget  int64
	claimed atomic.Int64

	presigned   int64         // signed before the clock started
	presignTime time.Duration // how long that took
	during      atomic.Int64  // signed by the producers during the run
	inline      atomic.Int64  // signed by a connection: the pool was empty

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// newAssertionPool makes the pool of a run and fills it. The caller starts
// its producers (start) and stops them (close).
func newAssertionPool(ctx context.Context, o options, u *url.URL) (*assertionPool, error) {
	size, budget := poolSize(o)
	p := &assertionPool{
		sign:   gh.SignedAssertion(o.clientID, o.aud, o.keyID, o.key),
		build:  func(a string) []byte { return []byte(renderRequest(u, o, credential{id: o.clientID}, a)) },
		ready:  make(chan []byte, size),
		budget: budget,
	}
	start := time.Now()
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	var next atomic.Int64
	for i := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && next.Add(1) <= int64(size) {
				req, err := p.signed(ctx)
				if err != nil {
					errs[i] = err
					return
				}
				p.ready <- req // never blocks: at most size are sent
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("signing client assertions: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.presigned = int64(len(p.ready))
	p.claimed.Store(p.presigned)
	p.presignTime = time.Since(start)
	return p, nil
}

// poolSize returns how many assertions to sign before the run and how many
// in all (negative: no limit), following the rules of assertionPool.
func poolSize(o options) (size int, budget int64) {
	if o.rate <= 0 {
		size = closedLoopPool
		if o.presign > 0 {
			size = o.presign
		}
		return size, -1
	}
	// Slots n = 0, 1, ... are intended at n/rate from the start, up to
	// warm-up plus -d; a few spare ones cover rounding.
	slots := math.Ceil(o.rate*(o.warmup+o.duration).Seconds()) + float64(o.conns)
	if slots > math.MaxInt32 {
		slots = math.MaxInt32
	}
	budget = int64(slots)
	if o.presign > 0 {
		return int(min(int64(o.presign), budget)), budget
	}
	return int(min(budget, int64(math.Ceil(o.rate*maxPoolAge)), maxPool)), budget
}

// signed signs one assertion and renders its request.
func (p *assertionPool) signed(ctx context.Context) ([]byte, error) {
	a, err := p.sign(ctx)
	if err != nil {
		return nil, err
	}
	return p.build(a), nil
}

// start runs the producers until close.
func (p *assertionPool) start(ctx context.Context) {
	ctx, p.stop = context.WithCancel(ctx)
	for range runtime.GOMAXPROCS(0) {
		p.wg.Go(func() {
			for p.budget < 0 || p.claimed.Add(1) <= p.budget {
				req, err := p.signed(ctx)
				if err != nil {
					return // the connections sign their own, and report the error
				}
				select {
				case p.ready <- req:
					p.during.Add(1)
				case <-ctx.Done():
					return
				}
			}
		})
	}
}

// close stops the producers and waits for them.
func (p *assertionPool) close() {
	if p.stop != nil {
		p.stop()
	}
	p.wg.Wait()
}

// take returns the next request: one signed ahead, or if none is ready,
// one signed now.
func (p *assertionPool) take(ctx context.Context) ([]byte, error) {
	select {
	case req := <-p.ready:
		return req, nil
	default:
	}
	p.inline.Add(1)
	req, err := p.signed(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: signing the client assertion: %w", err)
	}
	return req, nil
}

// report sums up the pool for the report.
func (p *assertionPool) report(o options) *assertionReport {
	r := &assertionReport{
		Alg:       o.alg,
		KeyID:     o.keyID,
		Audience:  o.aud,
		Pool:      cap(p.ready),
		Presigned: uint64(p.presigned),
		PresignUS: us(p.presignTime),
		DuringRun: uint64(p.during.Load()),
		Inline:    uint64(p.inline.Load()),
	}
	r.Signed = r.Presigned + r.DuringRun + r.Inline
	return r
}

// assertionReport is what a private_key_jwt run signed.
type assertionReport struct {
	Alg       string  `json:"alg"`
	KeyID     string  `json:"key_id,omitempty"`
	Audience  string  `json:"aud"`
	Pool      int     `json:"pool"`              // capacity of the signed-ahead pool
	Signed    uint64  `json:"signed"`            // in all (some may be left unused)
	Presigned uint64  `json:"presigned"`         // before the clock started
	PresignUS float64 `json:"presign_us"`        // time that took
	DuringRun uint64  `json:"signed_during_run"` // by the background producers
	Inline    uint64  `json:"inline"`            // by a connection, the pool being empty: producers behind
}

// JWKS runs "gatehouse bench jwks": it prints the JWK Set of a -key's
// public half, for "gatehouse apps auth ID --jwks FILE". Exit codes: 0 ok,
// 2 bad usage or key.
func JWKS(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse bench jwks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "PEM private `file` (EC P-256/P-384, Ed25519 or RSA ≥ 2048 bits)")
	keyID := fs.String("key-id", "", "`kid` to give the key (the one bench -key-id sends), optional")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gatehouse bench jwks -key FILE [-key-id KID]\n\n"+
			"Print the JWK Set of the key's public half, to register it for an app that\n"+
			"gatehouse bench -auth private_key_jwt -key FILE then authenticates as:\n"+
			"  gatehouse bench jwks -key bench.pem -key-id bench > jwks.json\n"+
			"  gatehouse apps auth \"$APP_ID\" --jwks jwks.json\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *keyFile == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	key, alg, err := loadKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse bench jwks:", err)
		return 2
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: *keyID, Algorithm: alg, Use: "sig"}}}
	b, err := json.Marshal(set)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse bench jwks:", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}
