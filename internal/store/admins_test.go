package store

import (
	"context"
	"testing"
)

func TestConsoleAdmins(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if n, err := s.CountConsoleAdmins(ctx); err != nil || n != 0 {
			t.Fatalf("count = %d, %v", n, err)
		}
		a := &ConsoleAdmin{ID: "admin1", Username: "root", PasswordHash: "$argon2id$x", CreatedAt: 10, UpdatedAt: 10}
		wantErr(t, "insert", s.InsertConsoleAdmin(ctx, a), nil)
		dup := *a
		dup.ID = "admin2"
		wantErr(t, "duplicate username", s.InsertConsoleAdmin(ctx, &dup), ErrConflict)
		if n, _ := s.CountConsoleAdmins(ctx); n != 1 {
			t.Fatalf("count = %d", n)
		}
		got, err := s.GetConsoleAdminByUsername(ctx, "root")
		if err != nil || *got != *a {
			t.Fatalf("get = %+v, %v", got, err)
		}
		_, err = s.GetConsoleAdminByUsername(ctx, "Root")
		wantErr(t, "username is exact", err, ErrNotFound)

		sess := &ConsoleSession{IDDigest: "d1", AdminID: "admin1", CSRF: "c1", CreatedAt: 10, ExpiresAt: 100}
		wantErr(t, "insert session", s.InsertConsoleSession(ctx, sess), nil)
		wantErr(t, "session of nobody", s.InsertConsoleSession(ctx, &ConsoleSession{IDDigest: "d2", AdminID: "ghost", CSRF: "c", ExpiresAt: 100}), ErrForeignKey)
		gs, err := s.GetConsoleSession(ctx, "d1", 99)
		if err != nil || gs.Username != "root" || gs.CSRF != "c1" || gs.AdminID != "admin1" || gs.ExpiresAt != 100 {
			t.Fatalf("session = %+v, %v", gs, err)
		}
		_, err = s.GetConsoleSession(ctx, "d1", 100)
		wantErr(t, "expired session", err, ErrNotFound)

		// A new password ends every session of the administrator.
		wantErr(t, "update password", s.UpdateConsoleAdminPassword(ctx, "admin1", "$argon2id$y", 20), nil)
		_, err = s.GetConsoleSession(ctx, "d1", 50)
		wantErr(t, "session after password change", err, ErrNotFound)
		wantErr(t, "update missing", s.UpdateConsoleAdminPassword(ctx, "ghost", "h", 20), ErrNotFound)
		if got, _ := s.GetConsoleAdminByUsername(ctx, "root"); got.PasswordHash != "$argon2id$y" || got.UpdatedAt != 20 {
			t.Fatalf("after update: %+v", got)
		}

		wantErr(t, "insert session 3", s.InsertConsoleSession(ctx, &ConsoleSession{IDDigest: "d3", AdminID: "admin1", CSRF: "c", ExpiresAt: 100}), nil)
		wantErr(t, "insert session 4", s.InsertConsoleSession(ctx, &ConsoleSession{IDDigest: "d4", AdminID: "admin1", CSRF: "c", ExpiresAt: 300}), nil)
		wantErr(t, "delete expired", s.DeleteExpiredConsoleSessions(ctx, 200), nil)
		_, err = s.GetConsoleSession(ctx, "d3", 0)
		wantErr(t, "expired gone", err, ErrNotFound)
		wantErr(t, "delete", s.DeleteConsoleSession(ctx, "d4"), nil)
		wantErr(t, "delete twice", s.DeleteConsoleSession(ctx, "d4"), nil)
		_, err = s.GetConsoleSession(ctx, "d4", 0)
		wantErr(t, "deleted", err, ErrNotFound)

		_, err = s.ConsoleSetupTokenExpiry(ctx, 0)
		wantErr(t, "no setup token", err, ErrNotFound)
		wantErr(t, "setup token", s.ReplaceConsoleSetupToken(ctx, "t1", 100), nil)
		if at, err := s.ConsoleSetupTokenExpiry(ctx, 99); err != nil || at != 100 {
			t.Fatalf("setup token expiry = %d, %v", at, err)
		}
		_, err = s.ConsoleSetupTokenExpiry(ctx, 100)
		wantErr(t, "setup token expired", err, ErrNotFound)
		wantErr(t, "setup token replaced", s.ReplaceConsoleSetupToken(ctx, "t2", 100), nil)
		for _, c := range []struct {
			digest string
			now    int64
			want   bool
		}{{"t1", 0, false}, {"t2", 99, true}, {"t2", 100, false}} {
			if ok, err := s.ConsoleSetupTokenValid(ctx, c.digest, c.now); err != nil || ok != c.want {
				t.Errorf("setup token %s at %d: %v, %v", c.digest, c.now, ok, err)
			}
		}
		wantErr(t, "delete setup tokens", s.DeleteConsoleSetupTokens(ctx), nil)
		if ok, _ := s.ConsoleSetupTokenValid(ctx, "t2", 0); ok {
			t.Error("setup token valid after delete")
		}
	})
}

func TestConsoleAdminsInvitesAndRemoval(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := &ConsoleAdmin{ID: "a1", Username: "first", PasswordHash: "h", CreatedAt: 1, UpdatedAt: 1}
		wantErr(t, "insert", s.InsertConsoleAdmin(ctx, a), nil)
		wantErr(t, "last admin", s.DeleteConsoleAdmin(ctx, "a1"), ErrLastConsoleAdmin)
		wantErr(t, "unknown admin", s.DeleteConsoleAdmin(ctx, "ghost"), ErrNotFound)

		// An invitation is used once, and not after it expires.
		wantErr(t, "invite", s.InsertConsoleInvite(ctx, &ConsoleInvite{Digest: "i1", CreatedBy: "first", CreatedAt: 5, ExpiresAt: 100}), nil)
		wantErr(t, "invite 2", s.InsertConsoleInvite(ctx, &ConsoleInvite{Digest: "i2", CreatedBy: "first", CreatedAt: 6, ExpiresAt: 50}), nil)
		if ok, err := s.ConsoleInviteValid(ctx, "i1", 99); err != nil || !ok {
			t.Fatalf("valid = %v, %v", ok, err)
		}
		list, err := s.ListConsoleInvites(ctx, 60)
		if err != nil || len(list) != 1 || list[0].Digest != "i1" || list[0].CreatedBy != "first" {
			t.Fatalf("invites = %+v, %v", list, err)
		}
		b := &ConsoleAdmin{ID: "a2", Username: "first", PasswordHash: "h", CreatedAt: 7, UpdatedAt: 7}
		wantErr(t, "taken username", s.AcceptConsoleInvite(ctx, "i1", 60, b), ErrConflict)
		b.Username = "second"
		wantErr(t, "expired invite", s.AcceptConsoleInvite(ctx, "i2", 60, b), ErrNotFound)
		wantErr(t, "accept", s.AcceptConsoleInvite(ctx, "i1", 60, b), nil)
		wantErr(t, "used twice", s.AcceptConsoleInvite(ctx, "i1", 60, &ConsoleAdmin{ID: "a3", Username: "third", PasswordHash: "h"}), ErrNotFound)
		wantErr(t, "expired swept", s.DeleteExpiredConsoleInvites(ctx, 60), nil)
		if list, _ := s.ListConsoleInvites(ctx, 0); len(list) != 0 {
			t.Fatalf("invites left: %+v", list)
		}

		// Sessions: the other ones end, the kept one stays.
		for _, d := range []string{"s1", "s2", "s3"} {
			wantErr(t, "session", s.InsertConsoleSession(ctx, &ConsoleSession{IDDigest: d, AdminID: "a2", CSRF: "c", ExpiresAt: 1000}), nil)
		}
		admins, sessions, err := s.ListConsoleAdmins(ctx, 10)
		if err != nil || len(admins) != 2 || admins[1].Username != "second" || sessions[1] != 3 || sessions[0] != 0 {
			t.Fatalf("admins = %+v %v, %v", admins, sessions, err)
		}
		if n, err := s.DeleteOtherConsoleSessions(ctx, "a2", "s2"); err != nil || n != 2 {
			t.Fatalf("ended %d, %v", n, err)
		}
		if _, err := s.GetConsoleSession(ctx, "s2", 10); err != nil {
			t.Fatalf("kept session: %v", err)
		}

		// Removal ends the sessions; the last one left stays.
		wantErr(t, "remove", s.DeleteConsoleAdmin(ctx, "a2"), nil)
		_, err = s.GetConsoleSession(ctx, "s2", 10)
		wantErr(t, "session of removed admin", err, ErrNotFound)
		wantErr(t, "last again", s.DeleteConsoleAdmin(ctx, "a1"), ErrLastConsoleAdmin)
		if got, err := s.GetConsoleAdmin(ctx, "a1"); err != nil || got.Username != "first" {
			t.Fatalf("get = %+v, %v", got, err)
		}
	})
}
