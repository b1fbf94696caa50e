package netx

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestParseProxies(t *testing.T) {
	p, err := ParseProxies("10.0.0.0/8, 192.168.1.7 fd00::/8,::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "10.0.0.0/8,192.168.1.7/32,fd00::/8,172.16.0.0/12"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", "10.0.0.1/8/", "fe80::1%eth0"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q): no error", bad)
		}
	}
	if p, err := ParseProxies(" "); err != nil || !p.Empty() {
		t.Fatalf("blank: %v %v", p, err)
	}
}

func TestHandler(t *testing.T) {
	p, err := ParseProxies("10.0.0.0/8,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		header     http.Header
		ip         string
		https      bool
	}{
		{"untrusted peer: headers ignored", "203.0.113.9:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"}}, "203.0.113.9", false},
		{"trusted peer, no header", "10.1.2.3:5000", nil, "10.1.2.3", false},
		{"trusted peer", "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"}}, "198.51.100.1", true},
		{"client-sent entry left of the real one", "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"1.1.1.1, 198.51.100.1"}}, "198.51.100.1", false},
		{"chain of trusted proxies", "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.1, 10.9.9.9", "10.8.8.8"}}, "198.51.100.1", false},
		{"all hops trusted", "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"10.7.7.7, 10.9.9.9"}}, "10.7.7.7", false},
		{"garbage hop: nearest good one", "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"1.1.1.1, nonsense, 10.9.9.9"}}, "10.9.9.9", false},
		{"garbage only", "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"nonsense"}}, "10.1.2.3", false},
		{"Forwarded", "10.1.2.3:5000",
			http.Header{"Forwarded": {`for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https, for=198.51.100.2;proto=HTTPS`}}, "198.51.100.2", true},
		{"Forwarded ipv6 through trusted v6", "[2001:db8::1]:443",
			http.Header{"Forwarded": {`for="[2001:db9::17]:4711"`}}, "2001:db9::17", false},
		{"X-Forwarded-For wins over Forwarded", "10.1.2.3:5000",
			http.Header{"Forwarded": {"for=1.1.1.1"}, "X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1", false},
		{"proto http", "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"http"}}, "198.51.100.1", false},
		{"ipv4-mapped peer", "[::ffff:10.1.2.3]:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.1:1234"}}, "198.51.100.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ip string
			var https bool
			h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ip, https = ClientIP(r), IsHTTPS(r)
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for k, v := range tc.header {
				r.Header[k] = v
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if ip != tc.ip || https != tc.https {
				t.Fatalf("ClientIP %q IsHTTPS %v, want %q %v", ip, https, tc.ip, tc.https)
			}
		})
	}
}

func TestNoProxies(t *testing.T) {
	p, _ := ParseProxies("")
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if h := p.Handler(next); h == nil {
		t.Fatal("nil handler")
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:80"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	if IsHTTPS(r) || ClientIP(r) != "127.0.0.1" {
		t.Fatal("headers used without a trusted proxy")
	}
	r.TLS = &tls.ConnectionState{}
	if !IsHTTPS(r) {
		t.Fatal("TLS connection not HTTPS")
	}
}

func TestClientIPAllocs(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.1:443"
	if n := testing.AllocsPerRun(100, func() { ClientIP(r) }); n != 0 {
		t.Fatalf("ClientIP allocates %v times", n)
	}
}

// FuzzHandler: whatever a trusted proxy forwards, the handler does not
// panic and the client address is an IP address.
func FuzzHandler(f *testing.F) {
	for _, s := range [][2]string{
		{"198.51.100.1, 10.0.0.1", ""}, {"", `for="[2001:db8::1]:80";proto=https, for=unknown`},
		{"nonsense,,, ", "for=_hidden;by=x"}, {"[::1]:x", `for="`}, {"1.2.3.4:5:6", ";;;=,"},
	} {
		f.Add(s[0], s[1], "https")
	}
	p, err := ParseProxies("10.0.0.0/8")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, xff, fwd, proto string) {
		var ip string
		h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ip = ClientIP(r); IsHTTPS(r) }))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.1.1.1:443"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		r.Header.Set("Forwarded", fwd)
		r.Header.Set("X-Forwarded-Proto", proto)
		h.ServeHTTP(httptest.NewRecorder(), r)
		if _, err := netip.ParseAddr(ip); err != nil {
			t.Fatalf("client %q from %q / %q", ip, xff, fwd)
		}
	})
}
