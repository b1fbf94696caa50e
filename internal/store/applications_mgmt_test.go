package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func appIDs(list []rbac.Application) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.ID
	}
	return out
}

func TestListApplications(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i, id := range []string{"a1", "a2", "a3", "a4"} {
			a := m2mApp(id)
			a.CreatedAt = int64(1000 + i)
			if id == "a3" {
				a.Description = ptr("Stats puller")
				a.IsThirdParty = true
			}
			wantErr(t, "insert "+id, s.InsertApplication(ctx, a), nil)
		}
		tie := m2mApp("a0") // same time as a4: ties by id, descending
		tie.CreatedAt = 1003
		wantErr(t, "insert tie", s.InsertApplication(ctx, tie), nil)
		mustRole(t, s, "r1", rbac.RoleMachineToMachine)
		wantErr(t, "link", s.InsertApplicationRole(ctx, tenant, "l1", "a2", "r1"), nil)

		cases := []struct {
			name string
			f    AppFilter
			want string
		}{
			{"all", AppFilter{}, "a4 a0 a3 a2 a1"},
			{"page", AppFilter{Limit: 2, Offset: 1}, "a0 a3"},
			{"types", AppFilter{Types: []rbac.AppType{rbac.AppSPA, rbac.AppMachineToMachine}}, "a4 a0 a3 a2 a1"},
			{"other type", AppFilter{Types: []rbac.AppType{rbac.AppSPA}}, ""},
			{"exclude role", AppFilter{ExcludeRoleID: "r1"}, "a4 a0 a3 a1"},
			{"third party", AppFilter{IsThirdParty: ptrBool(true)}, "a3"},
			{"first party", AppFilter{IsThirdParty: ptrBool(false), Limit: 1}, "a4"},
			{"search description", AppFilter{Search: Search{Matches: []Match{{Fields: []string{"id", "name", "description"}, Values: []string{"%stats%"}, Mode: ModeLike}}}}, "a3"},
			{"search id exact", AppFilter{Search: Search{Matches: []Match{{Fields: []string{"id"}, Values: []string{"a1", "a2"}, Mode: ModeExact}}}}, "a2 a1"},
		}
		for _, c := range cases {
			list, err := s.ListApplications(ctx, tenant, c.f)
			wantErr(t, c.name, err, nil)
			if got := strings.Join(appIDs(list), " "); got != c.want {
				t.Errorf("%s: got %q, want %q", c.name, got, c.want)
			}
			n, err := s.CountApplications(ctx, tenant, c.f)
			wantErr(t, c.name+" count", err, nil)
			if want := len(strings.Fields(c.want)); c.f.Limit == 0 && n != int64(want) {
				t.Errorf("%s: count %d, want %d", c.name, n, want)
			}
		}
		if n, _ := s.CountApplications(ctx, tenant, AppFilter{Limit: 1}); n != 5 {
			t.Errorf("count ignores limit: %d", n)
		}
		list, _ := s.ListApplications(ctx, tenant, AppFilter{Search: Search{Matches: []Match{{Fields: []string{"id"}, Values: []string{"a3"}, Mode: ModeExact}}}})
		if len(list) != 1 || *list[0].Description != "Stats puller" || !list[0].IsThirdParty || string(list[0].ProtectedAppMetadata) != "null" {
			t.Fatalf("scanned app: %+v", list)
		}
		jsonEqual(t, "listed oidc", list[0].OIDCClientMetadata, `{"redirectUris":[],"postLogoutRedirectUris":[]}`)
	})
}

func ptrBool(b bool) *bool { return &b }

func mustRole(t *testing.T, s *Store, id string, typ rbac.RoleType) {
	t.Helper()
	r := &rbac.Role{TenantID: tenant, ID: id, Name: "role " + id, Description: "d " + id, Type: typ}
	wantErr(t, "insert role "+id, s.InsertRole(context.Background(), r), nil)
}

func TestUpdateApplication(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "insert", s.InsertApplication(ctx, m2mApp("u1")), nil)
		a, _ := s.GetApplication(ctx, tenant, "u1")
		a.Name, a.Description = "Renamed", ptr("desc")
		a.CustomData = json.RawMessage(`{"k":1}`)
		a.CustomClientMetadata = json.RawMessage(`{"allowTokenExchange":true}`)
		a.AppLevelAccessControlEnabled = true
		a.Type, a.CreatedAt = rbac.AppSPA, 5 // immutable: ignored
		wantErr(t, "update", s.UpdateApplication(ctx, a), nil)
		got, _ := s.GetApplication(ctx, tenant, "u1")
		if got.Name != "Renamed" || *got.Description != "desc" || !got.AppLevelAccessControlEnabled ||
			got.Type != rbac.AppMachineToMachine || got.CreatedAt != 1700000000000 {
			t.Fatalf("updated: %+v", got)
		}
		jsonEqual(t, "custom data", got.CustomData, `{"k":1}`)
		jsonEqual(t, "custom client", got.CustomClientMetadata, `{"allowTokenExchange":true}`)
		got.Description = nil
		wantErr(t, "clear description", s.UpdateApplication(ctx, got), nil)
		if got, _ = s.GetApplication(ctx, tenant, "u1"); got.Description != nil {
			t.Fatal("description not cleared")
		}
		missing := m2mApp("nope")
		wantErr(t, "update missing", s.UpdateApplication(ctx, missing), ErrNotFound)
		got.CustomData = json.RawMessage(`{`)
		wantErr(t, "invalid JSON", s.UpdateApplication(ctx, got), ErrCheck)
	})
}

// PatchApplication sets what it is given and keeps the rest, in one
// statement that returns the stored row.
func TestPatchApplication(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := m2mApp("p1")
		a.Description = ptr("first")
		a.CustomData = json.RawMessage(`{"keep":true}`)
		wantErr(t, "insert", s.InsertApplication(ctx, a), nil)
		before, _ := s.GetApplication(ctx, tenant, "p1")

		got, err := s.PatchApplication(ctx, tenant, "p1", AppChanges{Name: ptr("Renamed")}, "")
		wantErr(t, "name only", err, nil)
		if got.Name != "Renamed" || got.Description == nil || *got.Description != "first" {
			t.Fatalf("after a name patch: %+v", got)
		}
		jsonEqual(t, "kept custom data", got.CustomData, `{"keep":true}`)
		jsonEqual(t, "kept oidc metadata", got.OIDCClientMetadata, string(before.OIDCClientMetadata))

		// Announced: on PostgreSQL the statement notifies it, only when it
		// wrote (a payload that would break a badly quoted literal).
		until := listenUntil(t, s)
		acl := true
		announce := `patched 'p1' \'); --`
		got, err = s.PatchApplication(ctx, tenant, "p1", AppChanges{DescriptionSet: true,
			CustomClientMetadata: json.RawMessage(`{"allowTokenExchange":true}`), CustomData: json.RawMessage(`{}`),
			AppLevelAccessControlEnabled: &acl}, announce)
		wantErr(t, "clear description and more", err, nil)
		if got.Name != "Renamed" || got.Description != nil || !got.AppLevelAccessControlEnabled {
			t.Fatalf("after the second patch: %+v", got)
		}
		jsonEqual(t, "custom client", got.CustomClientMetadata, `{"allowTokenExchange":true}`)
		jsonEqual(t, "custom data", got.CustomData, `{}`)
		if stored, _ := s.GetApplication(ctx, tenant, "p1"); !reflect.DeepEqual(stored, got) {
			t.Fatalf("returned %+v, stored %+v", got, stored)
		}

		_, err = s.PatchApplication(ctx, tenant, "nope", AppChanges{Name: ptr("x")}, "patched nope")
		wantErr(t, "missing", err, ErrNotFound)
		_, err = s.PatchApplication(ctx, tenant, "p1", AppChanges{CustomData: json.RawMessage(`{`)}, "patched badly")
		wantErr(t, "invalid JSON", err, ErrCheck)
		if s.Dialect() == dialectPostgres {
			wantErr(t, "sentinel", s.Notify(ctx, "patched end"), nil)
			if got := until("patched end"); !slices.Equal(got, []string{announce, "patched end"}) {
				t.Fatalf("notifications %q, want only the one of the patch that wrote", got)
			}
		}
	})
}

func TestMergeApplicationCustomData(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := m2mApp("c1")
		a.CustomData = json.RawMessage(`{"keep":1,"over":{"a":1}}`)
		wantErr(t, "insert", s.InsertApplication(ctx, a), nil)
		merged, err := s.MergeApplicationCustomData(ctx, tenant, "c1", map[string]json.RawMessage{
			"over": json.RawMessage(`{"b":2}`), "new": json.RawMessage(`"x"`)})
		wantErr(t, "merge", err, nil)
		want := `{"keep":1,"over":{"b":2},"new":"x"}` // shallow: "over" replaced
		jsonEqual(t, "merged", merged, want)
		got, _ := s.GetApplication(ctx, tenant, "c1")
		jsonEqual(t, "stored", got.CustomData, want)
		_, err = s.MergeApplicationCustomData(ctx, tenant, "nope", nil)
		wantErr(t, "missing", err, ErrNotFound)

		// Concurrent merges lose no key.
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				_, err := s.MergeApplicationCustomData(ctx, tenant, "c1", map[string]json.RawMessage{
					fmt.Sprintf("k%d", i): json.RawMessage(`true`)})
				errs <- err
			}()
		}
		for range 8 {
			wantErr(t, "concurrent merge", <-errs, nil)
		}
		got, _ = s.GetApplication(ctx, tenant, "c1")
		var m map[string]any
		json.Unmarshal(got.CustomData, &m)
		if len(m) != 3+8 {
			t.Fatalf("after concurrent merges: %s", got.CustomData)
		}
	})
}

func TestSecretsMgmt(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "insert app", s.InsertApplication(ctx, m2mApp("s1")), nil)
		exp := int64(99)
		for _, n := range []string{"one", "two"} {
			sec := &rbac.Secret{TenantID: tenant, ApplicationID: "s1", Name: n, Sealed: []byte("sealed-" + n), Digest: []byte("d-" + n), CreatedAt: 1, ExpiresAt: &exp}
			wantErr(t, "insert "+n, s.InsertSecret(ctx, sec), nil)
		}
		got, err := s.GetSecret(ctx, tenant, "s1", "one")
		wantErr(t, "get", err, nil)
		if string(got.Sealed) != "sealed-one" || *got.ExpiresAt != 99 {
			t.Fatalf("secret: %+v", got)
		}
		_, err = s.GetSecret(ctx, tenant, "s1", "none")
		wantErr(t, "get missing", err, ErrNotFound)
		wantErr(t, "rename", s.RenameSecret(ctx, tenant, "s1", "one", "uno"), nil)
		if got, _ := s.GetSecret(ctx, tenant, "s1", "uno"); got == nil || string(got.Digest) != "d-one" {
			t.Fatal("renamed secret lost its value")
		}
		wantErr(t, "rename onto existing", s.RenameSecret(ctx, tenant, "s1", "uno", "two"), ErrConflict)
		wantErr(t, "rename missing", s.RenameSecret(ctx, tenant, "s1", "one", "x"), ErrNotFound)
	})
}

func TestApplicationRolesMgmt(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "insert app", s.InsertApplication(ctx, m2mApp("app")), nil)
		mustRole(t, s, "rb", rbac.RoleMachineToMachine)
		mustRole(t, s, "ra", rbac.RoleMachineToMachine)
		mustRole(t, s, "rc", rbac.RoleMachineToMachine)
		hidden := &rbac.Role{TenantID: tenant, ID: "admin-role", Name: "#internal:admin", Description: "x", Type: rbac.RoleMachineToMachine}
		wantErr(t, "insert internal", s.InsertRole(ctx, hidden), nil)
		for i, r := range []string{"rb", "ra", "rc", "admin-role"} {
			wantErr(t, "link "+r, s.InsertApplicationRole(ctx, tenant, fmt.Sprint("l", i), "app", r), nil)
		}
		list, err := s.ListApplicationRoles(ctx, tenant, "app", Search{}, 2, 0)
		wantErr(t, "list", err, nil)
		if len(list) != 2 || list[0].ID != "ra" || list[1].ID != "rb" || list[0].Name != "role ra" || list[0].Type != rbac.RoleMachineToMachine {
			t.Fatalf("page 1: %+v", list)
		}
		list, _ = s.ListApplicationRoles(ctx, tenant, "app", Search{}, 2, 2)
		if len(list) != 1 || list[0].ID != "rc" {
			t.Fatalf("page 2: %+v", list)
		}
		n, err := s.CountApplicationRoles(ctx, tenant, "app", Search{})
		wantErr(t, "count", err, nil)
		if n != 3 {
			t.Fatalf("count %d, want 3 (internal hidden)", n)
		}
		search := Search{Matches: []Match{{Fields: []string{"id", "name", "description"}, Values: []string{"%RB%"}, Mode: ModeLike}}}
		list, _ = s.ListApplicationRoles(ctx, tenant, "app", search, 0, 0)
		if n, _ := s.CountApplicationRoles(ctx, tenant, "app", search); len(list) != 1 || list[0].ID != "rb" || n != 1 {
			t.Fatalf("search: %+v (%d)", list, n)
		}
		ok, err := s.HasApplicationRoleNamed(ctx, tenant, "app", "#internal:admin")
		wantErr(t, "has", err, nil)
		if !ok {
			t.Fatal("internal role not found")
		}
		if ok, _ := s.HasApplicationRoleNamed(ctx, tenant, "app", "role zz"); ok {
			t.Fatal("unheld role found")
		}
		n, err = s.DeleteApplicationRoles(ctx, tenant, "app")
		wantErr(t, "delete all", err, nil)
		if ids, _ := s.ListApplicationRoleIDs(ctx, tenant, "app"); n != 4 || len(ids) != 0 {
			t.Fatalf("after delete all: %d, %v", n, ids)
		}
		if _, err := s.ListApplicationRoles(ctx, tenant, "app", Search{Matches: []Match{{Fields: []string{"nope"}, Values: []string{"x"}}}}, 0, 0); err == nil || errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown field: %v", err)
		}
	})
}

// TestApplicationListPlan checks that the list and count queries of
// GET /api/applications use the index applications__created_at_id, with
// no sort step (SQLite).
func TestApplicationListPlan(t *testing.T) {
	s := openTest(t, dialectSQLite)
	ctx := context.Background()
	for _, c := range []struct {
		query string
		want  string
	}{
		{`SELECT ` + applicationColumns + ` FROM applications a WHERE a.tenant_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT 20 OFFSET 0`, "applications__created_at_id"},
		{`SELECT COUNT(*) FROM applications a WHERE a.tenant_id = $1`, "COVERING INDEX"},
	} {
		rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+c.query, tenant)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		t.Logf("plan: %s", joined)
		if !strings.Contains(joined, c.want) || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("plan of %q: %s", c.query, joined)
		}
	}
}
