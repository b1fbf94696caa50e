package bench

import (
	"bufio"
	"fmt"
	"io"
	"math/bits"
	"math/rand"
	"os"
	"strings"
)

// credential is one application's client id and secret.
type credential struct {
	id, secret string
}

// readCredentials reads a -credentials file.
func readCredentials(name string) ([]credential, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("-credentials: %w", err)
	}
	defer f.Close()
	creds, err := parseCredentials(f)
	if err != nil {
		return nil, fmt.Errorf("-credentials %s: %w", name, err)
	}
	return creds, nil
}

// parseCredentials reads lines "id secret" (separated by spaces or tabs).
// Blank lines and lines starting with '#' are skipped; anything else that is
// not exactly two words is an error naming its line. A client id given twice
// is an error too: the report counts apps by line, and a repeated id would
// count one app as two.
func parseCredentials(r io.Reader) ([]credential, error) {
	var creds []credential
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"id secret\", got %d words", n, len(f))
		}
		if prev, ok := seen[f[0]]; ok {
			return nil, fmt.Errorf("line %d: client id %q already on line %d", n, f[0], prev)
		}
		seen[f[0]] = n
		creds = append(creds, credential{id: f[0], secret: f[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(creds) == 0 {
		return nil, fmt.Errorf("no credentials (want lines \"id secret\")")
	}
	return creds, nil
}

// picker chooses the app of each request. Each worker owns one, so it needs
// no lock; a pick costs a few nanoseconds (uniform) or one Zipf draw (a
// rejection sampler, a few exp/log), nothing next to a network round trip.
type picker struct {
	n    int
	r    *rand.Rand
	zipf *rand.Zipf // nil: uniform
}

// newPicker picks among n apps, uniformly if s is 0, else with Zipf
// exponent s > 1 over the apps in the order given (the first is the most
// frequent: P(k) ∝ (1+k)^-s, as math/rand's Zipf with v = 1).
func newPicker(n int, s float64, seed int64) picker {
	p := picker{n: n}
	if n > 1 {
		p.r = rand.New(rand.NewSource(seed))
		if s > 0 {
			p.zipf = rand.NewZipf(p.r, s, 1, uint64(n-1))
		}
	}
	return p
}

func (p *picker) next() int {
	switch {
	case p.n <= 1:
		return 0
	case p.zipf != nil:
		return int(p.zipf.Uint64())
	}
	return p.r.Intn(p.n)
}

// appSet is a bitmap of app indices, so that each worker can note which
// apps it sent requests for without a map or a lock; the workers' sets are
// merged once at the end.
type appSet []uint64

func newAppSet(n int) appSet { return make(appSet, (n+63)/64) }

func (s appSet) add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }

// union adds o into s, growing s if needed, and returns it.
func (s appSet) union(o appSet) appSet {
	if len(o) > len(s) {
		s = append(s, make(appSet, len(o)-len(s))...)
	}
	for i, w := range o {
		s[i] |= w
	}
	return s
}

func (s appSet) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}
