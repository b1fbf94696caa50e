package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestParseCredentials(t *testing.T) {
	good := "# apps for the scale run\n\n" +
		"app-1 secret-1\n" +
		"  app-2\tsecret+2  \r\n" +
		"   # indented comment\n" +
		"app-3 s3:%/\n"
	creds, err := parseCredentials(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []credential{{"app-1", "secret-1"}, {"app-2", "secret+2"}, {"app-3", "s3:%/"}}
	if fmt.Sprint(creds) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", creds, want)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"one word", "a 1\n# c\nlonely\n", "line 3: "},
		{"three words", "a 1\nb 2 # trailing comment\n", "line 2: "},
		{"repeated id", "a 1\n\nb 2\na 3\n", `line 4: client id "a" already on line 1`},
		{"empty", "", "no credentials"},
		{"only comments", "# nothing\n\n   \n#\n", "no credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCredentials(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// writeCredentials writes n apps to a file; their secrets hold characters
// that change under form encoding.
func writeCredentials(t *testing.T, n int) (string, map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test apps\n")
	secrets := map[string]string{}
	for i := range n {
		id, secret := fmt.Sprintf("app-%02d", i), fmt.Sprintf("s+%%/:%d", i)
		secrets[id] = secret
		fmt.Fprintf(&b, "%s %s\n", id, secret)
	}
	name := filepath.Join(t.TempDir(), "creds.txt")
	if err := os.WriteFile(name, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return name, secrets
}

// appServer is a token endpoint that checks each app's secret and counts
// requests per client id; it cancels the run after enough requests, so that
// the tests depend on a number of requests, never on time.
type appServer struct {
	*httptest.Server
	secrets map[string]string
	enough  int64
	cancel  context.CancelFunc
	hits    atomic.Int64
	mu      sync.Mutex
	byApp   map[string]int
	bad     []string
}

func newAppServer(t *testing.T, secrets map[string]string, enough int64, cancel context.CancelFunc) *appServer {
	s := &appServer{secrets: secrets, enough: enough, cancel: cancel, byApp: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if ok {
			id, _ = url.QueryUnescape(id)
			secret, _ = url.QueryUnescape(secret)
		} else {
			r.ParseForm()
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		s.mu.Lock()
		if want, known := s.secrets[id]; !known || want != secret {
			s.bad = append(s.bad, id+" "+secret)
		}
		s.byApp[id]++
		s.mu.Unlock()
		if s.hits.Add(1) == s.enough {
			s.cancel()
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"x","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// spreadRun runs the bench over n apps until the server has seen enough
// requests, and returns the report and the server's count per app.
func spreadRun(t *testing.T, n int, enough int64, args ...string) (report, map[string]int) {
	t.Helper()
	file, secrets := writeCredentials(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newAppServer(t, secrets, enough, cancel)
	var stdout, stderr strings.Builder
	args = append([]string{"-url", s.URL + "/oidc/token", "-credentials", file, "-c", "4", "-d", "10m", "-warmup", "0", "-json"}, args...)
	// GATEHOUSE_CLIENT_ID in the environment does not conflict with -credentials.
	env := map[string]string{envClientID: "ignored", envClientSecret: "ignored"}
	if code := Run(ctx, args, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	r := decodeReport(t, stdout.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bad) > 0 {
		t.Errorf("server saw unknown ids or wrong secrets, e.g. %q", s.bad[0])
	}
	if r.Credentials != file || r.AppsGiven != n {
		t.Errorf("report: credentials %q apps given %d, want %q and %d", r.Credentials, r.AppsGiven, file, n)
	}
	if r.OK == 0 || r.Errors.Total != 0 {
		t.Errorf("ok %d errors %+v", r.OK, r.Errors)
	}
	return r, s.byApp
}

func TestRunUniformSpread(t *testing.T) {
	const n, enough = 20, 4000
	r, byApp := spreadRun(t, n, enough)
	// Every app was asked for, and the report says so: the server's distinct
	// ids and the report's count agree.
	if len(byApp) != n || r.AppsUsed != n || r.Spread != "uniform" || r.Zipf != 0 {
		t.Errorf("server saw %d apps, report: %d used, spread %q zipf %v; want %d uniform", len(byApp), r.AppsUsed, r.Spread, r.Zipf, n)
	}
	// Uniform: 4000 requests give each app 200 ± 14; fewer than 100 would
	// be seven standard deviations off.
	for id, c := range byApp {
		if c < enough/n/2 {
			t.Errorf("app %s got %d of %d requests", id, c, enough)
		}
	}
}

func TestRunZipfSpread(t *testing.T) {
	const n, enough = 20, 4000
	r, byApp := spreadRun(t, n, enough, "-zipf", "1.5", "-auth", "post")
	if r.Spread != "zipf" || r.Zipf != 1.5 || r.AppsUsed < 1 || r.AppsUsed > n || r.AppsUsed > len(byApp) {
		t.Errorf("report: spread %q zipf %v apps used %d; server saw %d apps", r.Spread, r.Zipf, r.AppsUsed, len(byApp))
	}
	total, top, topID := 0, 0, ""
	for id, c := range byApp {
		total += c
		if c > top {
			top, topID = c, id
		}
	}
	// With s = 1.5 over 20 apps the first line gets about 46% of the
	// requests; uniform would give it 5%.
	if topID != "app-00" || float64(top) < 0.25*float64(total) {
		t.Errorf("hottest app %s with %d of %d requests; want app-00 with far more than 1/%d", topID, top, total, n)
	}
}

func TestRunCredentialsUsage(t *testing.T) {
	file, _ := writeCredentials(t, 3)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("# ok\napp-1 s1\napp-2\n"), 0o600)
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, []byte("# no apps yet\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"credentials and client id", []string{"-credentials", file, "-client-id", "x"}, "mutually exclusive"},
		{"credentials and client secret", []string{"-credentials", file, "-client-secret", "x"}, "mutually exclusive"},
		{"malformed line", []string{"-credentials", bad}, "bad.txt: line 3: "},
		{"empty file", []string{"-credentials", empty}, "no credentials"},
		{"missing file", []string{"-credentials", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{"zipf without credentials", []string{"-client-id", "x", "-client-secret", "y", "-zipf", "1.5"}, "-zipf needs -credentials"},
		{"zipf 1", []string{"-credentials", file, "-zipf", "1"}, "-zipf must be greater than 1"},
		{"zipf below 1", []string{"-credentials", file, "-zipf", "0.5"}, "-zipf must be greater than 1"},
		{"zipf NaN", []string{"-credentials", file, "-zipf", "NaN"}, "-zipf must be greater than 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := bench(t, nil, tc.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d stdout %q stderr %q, want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}

// TestBuildRequestsPerApp: each app's request carries its own credentials,
// and the requests share one buffer without overlapping.
func TestBuildRequestsPerApp(t *testing.T) {
	u, _ := url.Parse("http://h/oidc/token")
	o := options{auth: authBasic, creds: []credential{{"a", "1"}, {"b", "2"}, {"c", "3"}}}
	reqs := buildRequests(u, o)
	for i, c := range o.creds {
		want := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(c.id+":"+c.secret)) + "\r\n"
		if !strings.Contains(string(reqs[i]), want) || !strings.HasPrefix(string(reqs[i]), "POST /oidc/token ") ||
			cap(reqs[i]) != len(reqs[i]) {
			t.Errorf("request %d:\n%s", i, reqs[i])
		}
	}
}

func TestAppSet(t *testing.T) {
	a, b := newAppSet(130), newAppSet(70)
	for _, i := range []int{0, 63, 64, 129} {
		a.add(i)
	}
	b.add(0)
	b.add(65)
	var total appSet
	total = total.union(b).union(a)
	if a.count() != 4 || total.count() != 5 {
		t.Errorf("counts %d %d, want 4 5", a.count(), total.count())
	}
}

// BenchmarkPick is the cost of choosing the app of a request: a few
// nanoseconds, against tens of microseconds for the request itself.
func BenchmarkPick(b *testing.B) {
	for _, s := range []float64{0, 1.1} {
		b.Run(fmt.Sprintf("apps=100000/zipf=%v", s), func(b *testing.B) {
			p := newPicker(100_000, s, 1)
			set := newAppSet(100_000)
			b.ReportAllocs()
			for b.Loop() {
				set.add(p.next())
			}
		})
	}
}
