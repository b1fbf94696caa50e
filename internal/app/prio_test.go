package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestManagementPriorityOption: with GATEHOUSE_MANAGEMENT_PRIORITY a token
// request waits for a slot of the server's gate while it is closed; without
// it the gate only counts requests and tokens never wait.
func TestManagementPriorityOption(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[on], func(t *testing.T) {
			dsn := storetest.SQLite(t)
			cfg := testConfig(t, dsn, strings.TrimSuffix(dsn, "/gatehouse.db"))
			cfg.ManagementPriority = on
			srv, f := startOn(t, cfg, Options{})
			g := srv.Gate()
			g.BeginUrgent()
			defer g.EndUrgent()
			held := 0
			for range g.Slots() {
				if g.EnterBulk() {
					held++
				}
			}
			release := func() {
				for ; held > 0; held-- {
					g.LeaveBulk()
				}
			}
			defer release()

			done := make(chan int, 1)
			go func() {
				req, _ := http.NewRequest("POST", f.http.URL+"/oidc/token", strings.NewReader(url.Values{
					"grant_type": {"client_credentials"}, "resource": {mapi}, "scope": {"all"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(url.QueryEscape(bootID), url.QueryEscape(bootSecret))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					done <- 0
					return
				}
				resp.Body.Close()
				done <- resp.StatusCode
			}()
			if on {
				select {
				case code := <-done:
					t.Fatalf("a token was issued (%d) while the gate was closed and its slots held", code)
				case <-time.After(200 * time.Millisecond):
				}
				release()
			}
			select {
			case code := <-done:
				if code != 200 {
					t.Fatalf("token request: %d", code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the token request did not finish")
			}
		})
	}
}
