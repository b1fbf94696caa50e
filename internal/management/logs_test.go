package management_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

type logJSON struct {
	TenantID  string         `json:"tenantId"`
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Payload   map[string]any `json:"payload"`
	CreatedAt int64          `json:"createdAt"`
}

func TestLogRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		start := time.Now().UnixMilli()
		// A refused and a granted token request, then at once the log:
		// both are visible (the audit buffer is flushed first).
		if _, status := e.TokenAs(apptest.BootstrapID, "wrong secret", apptest.Indicator, "all"); status == 200 {
			t.Fatal("wrong secret got a token")
		}
		e.AdminToken()

		var list []logJSON
		r := e.Must(200, "GET", "/api/logs?logKey=ExchangeTokenBy.ClientCredentials&page_size=1", nil, &list)
		if len(list) != 1 || list[0].Payload["applicationId"] != apptest.BootstrapID || list[0].Payload["result"] != "Success" {
			t.Fatalf("newest entry: %+v", list)
		}
		if l := list[0]; l.TenantID != "default" || l.Key != "ExchangeTokenBy.ClientCredentials" || l.CreatedAt < start || l.ID == "" {
			t.Fatalf("entry fields: %+v", l)
		}
		if r.Header.Get("Total-Number") != "2" || r.Header.Get("Link") == "" {
			t.Fatalf("paging headers: %v", r.Header)
		}
		granted := list[0]

		e.Must(200, "GET", "/api/logs?applicationId="+url.QueryEscape(apptest.BootstrapID)+"&enableCap=true", nil, &list)
		if len(list) != 2 || list[0].ID != granted.ID || list[1].Payload["result"] != "Error" {
			t.Fatalf("by application: %+v", list)
		}
		refused := list[1]

		// Newest first, always paginated.
		r = e.Must(200, "GET", "/api/logs", nil, &list)
		if len(list) < 2 || list[0].ID != granted.ID || list[1].ID != refused.ID || r.Header.Get("Total-Number") == "" {
			t.Fatalf("order: %+v", list)
		}

		var one logJSON
		e.Must(200, "GET", "/api/logs/"+granted.ID, nil, &one)
		if a, _ := json.Marshal(one); string(a) != mustJSON(t, granted) {
			t.Fatalf("get: %s, want %s", a, mustJSON(t, granted))
		}

		for q, want := range map[string]int{
			fmt.Sprintf("start_time=%d", start):                      2,
			fmt.Sprintf("start_time=%d", time.Now().UnixMilli()+1e6): 0,
			"end_time=1":                0,
			"logKey=Nothing":            0,
			"userId=someone":            0,
			"logKey=&applicationId=":    2,
			"applicationId=no-such-app": 0,
			"logKey=ExchangeTokenBy.ClientCredentials&applicationId=" + url.QueryEscape(apptest.BootstrapID): 2,
		} {
			r := e.Must(200, "GET", "/api/logs?"+q, nil, &list)
			if len(list) != want || r.Header.Get("Total-Number") != fmt.Sprint(want) {
				t.Errorf("%s: %d entries (Total-Number %s), want %d", q, len(list), r.Header.Get("Total-Number"), want)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLogRoutesRefuse(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	r := e.API("GET", "/api/logs/no-such-log", nil)
	var body struct{ Code, Message string }
	r.JSON(t, &body)
	if r.Status != 404 || body.Code != "entity.not_exists_with_id" || body.Message != "The logs with ID `no-such-log` does not exist." {
		t.Fatalf("unknown log: %d %s", r.Status, r.Body)
	}
	for q, code := range map[string]string{
		"start_time=yesterday": "guard.invalid_input",
		"end_time=-5":          "guard.invalid_input",
		"end_time=1.5":         "guard.invalid_input",
		"page=0":               "guard.invalid_pagination",
		"page_size=101":        "guard.invalid_pagination",
	} {
		if r := e.API("GET", "/api/logs?"+q, nil); r.Status != 400 || r.Code() != code {
			t.Errorf("%s: %d %s, want 400 %s", q, r.Status, r.Body, code)
		}
	}
	authFailures(t, e, []string{"GET /api/logs", "GET /api/logs/x"})
}
