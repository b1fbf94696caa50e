package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeMgmt is the part of the Management API that "gatehouse bench writes"
// uses: one resource (https://scale.api, with read), one role
// (scale-reader, holding read), apps to PATCH. It logs the role's
// permission changes that took effect.
type fakeMgmt struct {
	t  *testing.T
	mu sync.Mutex
	// scopes of the resource, by id; the role's scopes, by id
	scopes    map[string]string
	roleHolds map[string]bool
	changes   []string // "add write" or "remove write", as applied
	patches   int
	apps      map[string]bool
	// failNext makes the next role change answer 500 without applying it.
	failNext bool
	nextID   int
}

func newFakeMgmt(t *testing.T) *fakeMgmt {
	return &fakeMgmt{t: t, scopes: map[string]string{"s-read": "read"}, roleHolds: map[string]bool{"s-read": true}, apps: map[string]bool{}}
}

func (f *fakeMgmt) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		if s, ok := v.([]map[string]any); ok {
			w.Header().Set("Total-Number", strconv.Itoa(len(s)))
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	scopeList := func(only map[string]bool) []map[string]any {
		out := []map[string]any{}
		for id, name := range f.scopes {
			if only == nil || only[id] {
				out = append(out, map[string]any{"id": id, "name": name, "resourceId": "res-1"})
			}
		}
		return out
	}
	path, m := r.URL.Path, r.Method
	if path != "/oidc/token" && r.Header.Get("Authorization") != "Bearer tok" {
		reply(http.StatusUnauthorized, map[string]string{"code": "auth.unauthorized", "message": "no token"})
		return
	}
	switch {
	case m == "POST" && path == "/oidc/token":
		reply(http.StatusOK, map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
	case m == "GET" && path == "/api/resources":
		reply(http.StatusOK, []map[string]any{{"id": "res-0", "indicator": "https://other.api"}, {"id": "res-1", "indicator": "https://scale.api"}})
	case m == "GET" && path == "/api/roles":
		reply(http.StatusOK, []map[string]any{{"id": "role-1", "name": "scale-reader", "type": "MachineToMachine", "applicationsCount": 3}})
	case m == "GET" && path == "/api/resources/res-1/scopes":
		reply(http.StatusOK, scopeList(nil))
	case m == "POST" && path == "/api/resources/res-1/scopes":
		var in struct{ Name string }
		json.NewDecoder(r.Body).Decode(&in)
		for _, name := range f.scopes {
			if name == in.Name {
				reply(http.StatusConflict, map[string]string{"code": "scope.name_exists", "message": "taken"})
				return
			}
		}
		f.nextID++
		id := "s-" + in.Name + strconv.Itoa(f.nextID)
		f.scopes[id] = in.Name
		reply(http.StatusCreated, map[string]any{"id": id, "name": in.Name, "resourceId": "res-1"})
	case m == "GET" && path == "/api/roles/role-1/scopes":
		reply(http.StatusOK, scopeList(f.roleHolds))
	case m == "POST" && path == "/api/roles/role-1/scopes":
		var in struct {
			ScopeIDs []string `json:"scopeIds"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		if f.failNext {
			f.failNext = false
			reply(http.StatusInternalServerError, map[string]string{"code": "unknown", "message": "boom"})
			return
		}
		for _, id := range in.ScopeIDs {
			if f.roleHolds[id] {
				reply(http.StatusUnprocessableEntity, map[string]string{"code": "role.scope_exists", "message": "held"})
				return
			}
		}
		for _, id := range in.ScopeIDs {
			f.roleHolds[id] = true
			f.changes = append(f.changes, "add "+f.scopes[id])
		}
		reply(http.StatusCreated, scopeList(f.roleHolds))
	case m == "DELETE" && strings.HasPrefix(path, "/api/roles/role-1/scopes/"):
		id := strings.TrimPrefix(path, "/api/roles/role-1/scopes/")
		if f.failNext {
			f.failNext = false
			reply(http.StatusInternalServerError, map[string]string{"code": "unknown", "message": "boom"})
			return
		}
		if !f.roleHolds[id] {
			reply(http.StatusNotFound, map[string]string{"code": "entity.not_found", "message": "not held"})
			return
		}
		delete(f.roleHolds, id)
		f.changes = append(f.changes, "remove "+f.scopes[id])
		w.WriteHeader(http.StatusNoContent)
	case m == "POST" && path == "/api/applications":
		f.nextID++
		id := "app-" + strconv.Itoa(f.nextID)
		f.apps[id] = true
		reply(http.StatusOK, map[string]any{"id": id, "name": "bench-writes", "type": "MachineToMachine"})
	case m == "PATCH" && strings.HasPrefix(path, "/api/applications/"):
		f.patches++
		reply(http.StatusOK, map[string]any{"id": strings.TrimPrefix(path, "/api/applications/")})
	case m == "DELETE" && strings.HasPrefix(path, "/api/applications/"):
		delete(f.apps, strings.TrimPrefix(path, "/api/applications/"))
		w.WriteHeader(http.StatusNoContent)
	default:
		f.t.Errorf("unexpected %s %s", m, r.URL)
		reply(http.StatusNotFound, map[string]string{"code": "guard.not_found", "message": "no route"})
	}
}

// holdsWrite reports whether the role holds a permission named write.
func (f *fakeMgmt) holdsWrite() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id := range f.roleHolds {
		if f.scopes[id] == "write" {
			return true
		}
	}
	return false
}

type writesJSON struct {
	Writes, Failed, Skipped uint64
	RoleScopes              *struct {
		Writes, Failed, Skipped uint64
		Adds, Removes           uint64
		Role, Resource, Scope   string
		RoleApps                int `json:"role_apps"`
		Latency                 struct {
			P50, P99 float64
		} `json:"latency_us"`
	} `json:"role_scopes"`
}

func runWrites(t *testing.T, srv *httptest.Server, args ...string) (int, writesJSON, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"-url", srv.URL, "-client-id", "a", "-client-secret", "b", "-json"}, args...)
	code := Writes(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
	var out writesJSON
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("exit %d, %v:\n%s\nstderr %s", code, err, stdout.String(), stderr.String())
	}
	return code, out, stderr.String()
}

// alternates checks that changes add and remove write in turn, starting
// with first.
func alternates(t *testing.T, changes []string, first string) {
	t.Helper()
	other := map[string]string{"add write": "remove write", "remove write": "add write"}
	want := first
	for i, c := range changes {
		if c != want {
			t.Fatalf("change %d is %q, want %q: %q", i, c, want, changes)
		}
		want = other[want]
	}
}

// The role changes happen beside the PATCHes, add and remove write in
// turn, make the permission once, and leave the role as it was: here an
// odd number of changes, so the last add is undone at the end.
func TestBenchWritesRoleScopeToggle(t *testing.T) {
	f := newFakeMgmt(t)
	srv := httptest.NewServer(f)
	defer srv.Close()

	// 20/s for 250 ms: changes due at 0, 50, ..., 200 ms.
	code, r, stderr := runWrites(t, srv, "-rate", "40", "-role-scope-rate", "20", "-d", "250ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	rs := r.RoleScopes
	if r.Writes == 0 || r.Failed != 0 || f.patches != int(r.Writes) || len(f.apps) != 0 {
		t.Errorf("PATCHes: %+v, server saw %d, apps left %v", r, f.patches, f.apps)
	}
	if rs == nil || rs.Writes == 0 || rs.Writes+rs.Skipped != 5 || rs.Failed != 0 || rs.Adds+rs.Removes != rs.Writes ||
		rs.Role != "scale-reader" || rs.Resource != "https://scale.api" || rs.Scope != "write" || rs.RoleApps != 3 || rs.Latency.P99 <= 0 {
		t.Fatalf("role scopes %+v", rs)
	}
	alternates(t, f.changes, "add write")
	if want := int(rs.Writes) + int(rs.Writes%2); len(f.changes) != want {
		t.Errorf("%d changes applied, want %d (the measured ones and the undoing): %q", len(f.changes), want, f.changes)
	}
	if f.holdsWrite() || !f.roleHolds["s-read"] {
		t.Errorf("role ends holding %v, want read alone", f.roleHolds)
	}

	// A second run reuses the permission: one write scope in all.
	f.changes = nil
	code, r, stderr = runWrites(t, srv, "-rate", "0", "-role-scope-rate", "40", "-d", "100ms")
	if code != 0 || r.Writes != 0 || r.RoleScopes == nil || r.RoleScopes.Writes == 0 {
		t.Fatalf("exit %d %+v, stderr %s", code, r, stderr)
	}
	n := 0
	for _, name := range f.scopes {
		if name == "write" {
			n++
		}
	}
	if n != 1 || f.holdsWrite() {
		t.Errorf("scopes %v, role %v", f.scopes, f.roleHolds)
	}
	alternates(t, f.changes, "add write")
}

// A role found holding the permission (left by a run that was killed, say)
// starts with a removal and is left holding it.
func TestBenchWritesRoleScopeStartsHeld(t *testing.T) {
	f := newFakeMgmt(t)
	f.scopes["s-w"] = "write"
	f.roleHolds["s-w"] = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, r, stderr := runWrites(t, srv, "-rate", "0", "-role-scope-rate", "20", "-d", "150ms")
	if code != 0 || r.RoleScopes == nil || r.RoleScopes.Writes == 0 {
		t.Fatalf("exit %d %+v, stderr %s", code, r, stderr)
	}
	alternates(t, f.changes, "remove write")
	if !f.holdsWrite() {
		t.Errorf("role ends without write: %q", f.changes)
	}
}

// A failed change is a failure of the run; the next change asks the role
// what it holds, so the changes applied still alternate and the role still
// ends as it began.
func TestBenchWritesRoleScopeFailure(t *testing.T) {
	f := newFakeMgmt(t)
	f.failNext = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, r, stderr := runWrites(t, srv, "-rate", "0", "-role-scope-rate", "20", "-d", "200ms")
	rs := r.RoleScopes
	if code != 1 || rs == nil || rs.Failed != 1 || rs.Adds+rs.Removes+1 != rs.Writes || !strings.Contains(stderr, "role scope: adding the permission") {
		t.Fatalf("exit %d %+v, stderr %s", code, rs, stderr)
	}
	alternates(t, f.changes, "add write")
	if f.holdsWrite() {
		t.Errorf("role ends holding write: %q", f.changes)
	}
}

// Without -role-scope-rate nothing but PATCHes is sent, and the report has
// no role_scopes.
func TestBenchWritesPatchesOnly(t *testing.T) {
	f := newFakeMgmt(t)
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, r, stderr := runWrites(t, srv, "-rate", "40", "-d", "100ms")
	if code != 0 || r.Writes == 0 || r.RoleScopes != nil || len(f.changes) != 0 || len(f.scopes) != 1 {
		t.Fatalf("exit %d %+v, stderr %s, changes %q, scopes %v", code, r, stderr, f.changes, f.scopes)
	}
}

// The text report has a line for each kind of write.
func TestBenchWritesText(t *testing.T) {
	f := newFakeMgmt(t)
	srv := httptest.NewServer(f)
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := Writes(context.Background(), []string{"-url", srv.URL, "-client-id", "a", "-client-secret", "b",
		"-rate", "20", "-role-scope-rate", "20", "-d", "100ms"}, func(string) string { return "" }, &stdout, &stderr)
	out := stdout.String()
	for _, want := range []string{`(?m)^Writes       \d at 20/s for 100ms to app app-\d+: 0 failed, \d skipped`,
		`(?m)^Role scopes  \d at 20/s for 100ms, write of https://scale.api on role scale-reader \(held by 3 apps\): \d added, \d removed, 0 failed, \d skipped`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("stdout does not match %s:\n%s", want, out)
		}
	}
	if code != 0 || strings.Count(out, "\nLatency      p50 ") != 2 {
		t.Errorf("exit %d, stderr %s, stdout:\n%s", code, stderr.String(), out)
	}
}
