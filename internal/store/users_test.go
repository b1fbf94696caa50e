package store

import (
	"context"
	"reflect"
	"testing"
)

func userStr(s string) *string { return &s }

// testUser returns a user created at ms with the given username.
func mkUser(id, username string, ms int64) *User {
	return &User{TenantID: tenant, ID: id, Username: userStr(username), CreatedAt: ms, UpdatedAt: ms}
}

func userIDsOf(us []User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func TestUsers(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := mkUser("u1", "alice", 100)
		u.PrimaryEmail = userStr("Alice@Example.com")
		u.PrimaryPhone = userStr("123")
		u.CustomData = []byte(`{"plan":"pro"}`)
		wantErr(t, "insert", s.InsertUser(ctx, u), nil)
		got, err := s.GetUser(ctx, tenant, "u1")
		wantErr(t, "get", err, nil)
		if *got.Username != "alice" || *got.PrimaryEmail != "Alice@Example.com" || got.Name != nil || got.Avatar != nil ||
			got.LastSignInAt != nil || got.IsSuspended || got.CreatedAt != 100 || got.UpdatedAt != 100 {
			t.Fatalf("round trip %+v", got)
		}
		jsonEqual(t, "customData", got.CustomData, `{"plan":"pro"}`)
		jsonEqual(t, "profile", got.Profile, `{}`)
		_, err = s.GetUser(ctx, tenant, "ghost")
		wantErr(t, "get missing", err, ErrNotFound)

		// Uniqueness: id, username, phone exactly; email ignoring case.
		wantErr(t, "dup id", s.InsertUser(ctx, mkUser("u1", "bob", 1)), ErrConflict)
		wantErr(t, "dup username", s.InsertUser(ctx, mkUser("u2", "alice", 1)), ErrConflict)
		dupEmail := mkUser("u2", "bob", 1)
		dupEmail.PrimaryEmail = userStr("alice@example.COM")
		wantErr(t, "dup email", s.InsertUser(ctx, dupEmail), ErrConflict)
		dupPhone := mkUser("u2", "bob", 1)
		dupPhone.PrimaryPhone = userStr("123")
		wantErr(t, "dup phone", s.InsertUser(ctx, dupPhone), ErrConflict)
		// NULL identifiers do not collide.
		wantErr(t, "null username", s.InsertUser(ctx, &User{TenantID: tenant, ID: "n1", CreatedAt: 1, UpdatedAt: 1}), nil)
		wantErr(t, "null username 2", s.InsertUser(ctx, &User{TenantID: tenant, ID: "n2", CreatedAt: 1, UpdatedAt: 1}), nil)
		bad := mkUser("u3", "carol", 1)
		bad.CustomData = []byte(`{`)
		wantErr(t, "bad json", s.InsertUser(ctx, bad), ErrCheck)

		for _, c := range []struct {
			which        UserIdentifier
			value, other string
			want         bool
		}{
			{UserUsername, "alice", "", true},
			{UserUsername, "ALICE", "", false},
			{UserUsername, "alice", "u1", false},
			{UserEmail, "ALICE@example.com", "", true},
			{UserEmail, "alice@example.com", "u1", false},
			{UserPhone, "123", "", true},
			{UserPhone, "1234", "", false},
		} {
			taken, err := s.UserIdentifierTaken(ctx, tenant, c.which, c.value, c.other)
			wantErr(t, "taken", err, nil)
			if taken != c.want {
				t.Errorf("taken(%s %q except %q) = %v", c.which, c.value, c.other, taken)
			}
		}

		got.Name = userStr("Alice")
		got.Username = nil
		got.CustomData = []byte(`{"a":1}`)
		got.Profile = []byte(`{"nickname":"al"}`)
		got.UpdatedAt = 200
		wantErr(t, "update", s.UpdateUser(ctx, got), nil)
		again, _ := s.GetUser(ctx, tenant, "u1")
		if again.Username != nil || *again.Name != "Alice" || again.UpdatedAt != 200 || again.CreatedAt != 100 {
			t.Fatalf("after update %+v", again)
		}
		jsonEqual(t, "customData", again.CustomData, `{"a":1}`)
		jsonEqual(t, "profile", again.Profile, `{"nickname":"al"}`)
		ghost := mkUser("ghost", "ghost", 1)
		wantErr(t, "update missing", s.UpdateUser(ctx, ghost), ErrNotFound)
		clash := mkUser("n1", "x", 1)
		clash.PrimaryEmail = userStr("alice@example.com")
		wantErr(t, "update clash", s.UpdateUser(ctx, clash), ErrConflict)

		wantErr(t, "delete", s.DeleteUser(ctx, tenant, "u1"), nil)
		wantErr(t, "delete again", s.DeleteUser(ctx, tenant, "u1"), ErrNotFound)
	})
}

func TestListUsers(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// Two users share a millisecond: id breaks the tie.
		for _, u := range []*User{mkUser("a", "anna", 10), mkUser("b", "bert", 20), mkUser("c", "carl", 20), mkUser("d", "dora", 5)} {
			wantErr(t, "insert "+u.ID, s.InsertUser(ctx, u), nil)
		}
		list := func(f UserFilter) ([]string, int64) {
			t.Helper()
			us, total, err := s.ListUsers(ctx, tenant, f)
			wantErr(t, "list", err, nil)
			return userIDsOf(us), total
		}
		if ids, total := list(UserFilter{}); !reflect.DeepEqual(ids, []string{"c", "b", "a", "d"}) || total != 4 {
			t.Fatalf("all: %v %d", ids, total)
		}
		if ids, total := list(UserFilter{Limit: 2, Offset: 1}); !reflect.DeepEqual(ids, []string{"b", "a"}) || total != 4 {
			t.Fatalf("page: %v %d", ids, total)
		}
		search := Search{Matches: []Match{{Fields: []string{"id", "username", "name", "primaryEmail", "primaryPhone"}, Values: []string{"%R%"}}}}
		if ids, total := list(UserFilter{Search: search}); !reflect.DeepEqual(ids, []string{"c", "b", "d"}) || total != 3 {
			t.Fatalf("search: %v %d", ids, total)
		}

		wantErr(t, "role", s.InsertRole(ctx, userRole("r1")), nil)
		wantErr(t, "link a", s.InsertUserRole(ctx, tenant, "l1", "a", "r1"), nil)
		wantErr(t, "link c", s.InsertUserRole(ctx, tenant, "l2", "c", "r1"), nil)
		if ids, total := list(UserFilter{RoleID: "r1"}); !reflect.DeepEqual(ids, []string{"c", "a"}) || total != 2 {
			t.Fatalf("holding: %v %d", ids, total)
		}
		if ids, total := list(UserFilter{ExcludeRoleID: "r1"}); !reflect.DeepEqual(ids, []string{"b", "d"}) || total != 2 {
			t.Fatalf("excluding: %v %d", ids, total)
		}
		first, err := s.FirstUserHoldingRole(ctx, tenant, "r1", []string{"d", "c", "a"})
		wantErr(t, "first", err, nil)
		if first != "c" {
			t.Fatalf("first holding = %q", first)
		}
		first, _ = s.FirstUserHoldingRole(ctx, tenant, "r1", []string{"b"})
		if first != "" {
			t.Fatalf("first holding = %q", first)
		}
	})
}

func TestUserRoles(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "user", s.InsertUser(ctx, mkUser("u", "u", 1)), nil)
		rb, ra := userRole("rb"), userRole("ra")
		ra.Name, rb.Name = "alpha", "beta"
		ra.IsDefault = true
		wantErr(t, "rb", s.InsertRole(ctx, rb), nil)
		wantErr(t, "ra", s.InsertRole(ctx, ra), nil)
		rm := m2mRole("rm")
		rm.IsDefault = true
		wantErr(t, "rm", s.InsertRole(ctx, rm), nil)

		defaults, err := s.DefaultUserRoleIDs(ctx, tenant)
		wantErr(t, "defaults", err, nil)
		if !reflect.DeepEqual(defaults, []string{"ra"}) {
			t.Fatalf("defaults %v", defaults)
		}

		wantErr(t, "link rb", s.InsertUserRole(ctx, tenant, "l1", "u", "rb"), nil)
		wantErr(t, "link ra", s.InsertUserRole(ctx, tenant, "l2", "u", "ra"), nil)
		wantErr(t, "again", s.InsertUserRole(ctx, tenant, "l3", "u", "ra"), ErrConflict)
		wantErr(t, "m2m", s.InsertUserRole(ctx, tenant, "l4", "u", "rm"), ErrCheck)
		wantErr(t, "unknown role", s.InsertUserRole(ctx, tenant, "l5", "u", "ghost"), ErrForeignKey)
		wantErr(t, "unknown user", s.InsertUserRole(ctx, tenant, "l6", "ghost", "ra"), ErrForeignKey)

		roles, total, err := s.ListUserRoles(ctx, tenant, "u", Search{}, 0, 0)
		wantErr(t, "list", err, nil)
		if total != 2 || len(roles) != 2 || roles[0].ID != "ra" || roles[1].ID != "rb" || !roles[0].IsDefault {
			t.Fatalf("list %+v %d", roles, total)
		}
		roles, total, _ = s.ListUserRoles(ctx, tenant, "u", Search{}, 1, 1)
		if total != 2 || len(roles) != 1 || roles[0].ID != "rb" {
			t.Fatalf("page %+v %d", roles, total)
		}
		search := Search{Matches: []Match{{Fields: []string{"id", "name", "description"}, Values: []string{"bet%"}}}}
		roles, total, _ = s.ListUserRoles(ctx, tenant, "u", search, 0, 0)
		if total != 1 || len(roles) != 1 || roles[0].ID != "rb" {
			t.Fatalf("search %+v %d", roles, total)
		}
		ids, err := s.ListUserRoleIDs(ctx, tenant, "u")
		wantErr(t, "ids", err, nil)
		if len(ids) != 2 {
			t.Fatalf("ids %v", ids)
		}

		wantErr(t, "unlink", s.DeleteUserRole(ctx, tenant, "u", "rb"), nil)
		wantErr(t, "unlink again", s.DeleteUserRole(ctx, tenant, "u", "rb"), ErrNotFound)
		// Deleting the user cascades its links.
		wantErr(t, "delete user", s.DeleteUser(ctx, tenant, "u"), nil)
		ids, _ = s.ListUserRoleIDs(ctx, tenant, "u")
		if len(ids) != 0 {
			t.Fatalf("links after delete: %v", ids)
		}
	})
}
