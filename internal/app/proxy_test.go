package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/netx"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestTrustedProxies: behind GATEHOUSE_TRUSTED_PROXIES, a forwarded
// address is honoured from a trusted peer and ignored from another, in the
// audit entry and in the token failure limit (each forwarded client has
// its own allowance, and a client cannot pick a fresh one by sending the
// header itself).
func TestTrustedProxies(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			now := &limitClock{t: time.Now()}
			dsn := e.DSN(t)
			proxies, err := netx.ParseProxies("127.0.0.2/32")
			if err != nil {
				t.Fatal(err)
			}
			f := newLimitFixtureWith(t, dsn, "2/1m", now, func(c *config.Config) { c.TrustedProxies = proxies })
			proxy, direct := f.peer("127.0.0.2"), f.peer("127.0.0.3")
			const client, other = "198.51.100.7", "203.0.113.9"

			proxy.expect("through the proxy", proxy.send("", "", shopGrant+"&client_id="+shopApp+"&client_secret="+shopSecret,
				"X-Forwarded-For", "10.0.0.1, "+client), 200)
			direct.expect("direct, with a forged header", direct.send("", "", shopGrant+"&client_id="+shopApp+"&client_secret="+shopSecret,
				"X-Forwarded-For", other), 200)
			ips := auditIPs(t, f)
			if len(ips) != 2 || ips[0] != client || ips[1] != "127.0.0.3" {
				t.Fatalf("audit ips %v, want [%s 127.0.0.3]", ips, client)
			}

			// The failure limit counts the forwarded client, not the proxy.
			for range 2 {
				proxy.expect("wrong secret", proxy.send("", "", shopGrant+"&client_id="+shopApp+"&client_secret=wrong", "X-Forwarded-For", client), 401)
			}
			expectLimited(t, "the client after its failures", proxy.send("", "", shopGrant+"&client_id="+shopApp+"&client_secret="+shopSecret,
				"X-Forwarded-For", client), "30", addrLimited)
			proxy.expect("another client through the same proxy", proxy.send("", "", shopGrant+"&client_id="+shopApp+"&client_secret="+shopSecret,
				"X-Forwarded-For", other), 200)
			// A peer that is not trusted cannot escape its own limit with
			// the header.
			for range 2 {
				direct.expect("unknown client", direct.send("", "", shopGrant+"&client_id=not-an-app&client_secret=wrong", "X-Forwarded-For", "192.0.2.1"), 400)
			}
			expectLimited(t, "direct peer with a new forged address", direct.send("", "", shopGrant+"&client_id="+shopApp+"&client_secret="+shopSecret,
				"X-Forwarded-For", "192.0.2.2"), "30", addrLimited)
		})
	}
}

// auditIPs returns the ip of every token audit entry, oldest first.
func auditIPs(t *testing.T, f *fixture) []string {
	t.Helper()
	if err := f.srv.FlushAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs, _, err := f.srv.store.ListLogs(context.Background(), rbac.LogFilter{TenantID: "default", Key: rbac.LogKeyClientCredentials, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for i := len(logs) - 1; i >= 0; i-- {
		var p struct {
			IP string `json:"ip"`
		}
		if err := json.Unmarshal(logs[i].Payload, &p); err != nil {
			t.Fatal(err)
		}
		ips = append(ips, p.IP)
	}
	return ips
}
