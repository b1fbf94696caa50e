package store

import (
	"context"
	"errors"
)

// ConsoleAdmin is an administrator of the admin console. PasswordHash is an
// argon2id PHC string; the store never sees a password.
type ConsoleAdmin struct {
	ID           string
	Username     string
	PasswordHash string
	CreatedAt    int64 // epoch ms
	UpdatedAt    int64
}

// ConsoleSession is a signed-in console session. IDDigest is the SHA-256
// digest (hex) of the token in the session cookie; the token itself is
// never stored.
type ConsoleSession struct {
	IDDigest  string
	AdminID   string
	Username  string // the administrator's, filled in by GetConsoleSession
	CSRF      string // the token every form of the session must carry
	CreatedAt int64
	ExpiresAt int64
}

const consoleAdminColumns = `id, username, password_hash, created_at, updated_at`

// CountConsoleAdmins returns how many console administrators exist.
func (q *Queries) CountConsoleAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM console_admins`).Scan(&n)
	return n, wrap("count console admins", err)
}

// InsertConsoleAdmin creates an administrator; ErrConflict if the id or
// the username is taken.
func (q *Queries) InsertConsoleAdmin(ctx context.Context, a *ConsoleAdmin) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO console_admins (`+consoleAdminColumns+`)
VALUES ($1, $2, $3, $4, $5)`, a.ID, a.Username, a.PasswordHash, a.CreatedAt, a.UpdatedAt)
	return wrap("insert console admin", err)
}

// GetConsoleAdminByUsername returns the administrator called username
// (compared exactly); ErrNotFound if there is none.
func (q *Queries) GetConsoleAdminByUsername(ctx context.Context, username string) (*ConsoleAdmin, error) {
	var a ConsoleAdmin
	err := q.q.QueryRowContext(ctx, `SELECT `+consoleAdminColumns+` FROM console_admins WHERE username = $1`, username).
		Scan(&a.ID, &a.Username, &a.PasswordHash, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, wrap("get console admin", err)
	}
	return &a, nil
}

// UpdateConsoleAdminPassword replaces the password hash of administrator
// id and ends its sessions, in one transaction; ErrNotFound if there is no
// such administrator.
func (q *Queries) UpdateConsoleAdminPassword(ctx context.Context, id, hash string, nowMs int64) error {
	return q.atomic(ctx, func(q *Queries) error {
		res, err := q.q.ExecContext(ctx, `UPDATE console_admins SET password_hash = $2, updated_at = $3 WHERE id = $1`, id, hash, nowMs)
		if err := affectedOne(res, err, "update console admin password"); err != nil {
			return err
		}
		_, err = q.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE admin_id = $1`, id)
		return wrap("end console sessions", err)
	})
}

// InsertConsoleSession stores a new session; ErrConflict if its digest is
// taken, ErrForeignKey if the administrator does not exist.
func (q *Queries) InsertConsoleSession(ctx context.Context, s *ConsoleSession) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO console_sessions (id_digest, admin_id, csrf, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5)`, s.IDDigest, s.AdminID, s.CSRF, s.CreatedAt, s.ExpiresAt)
	return wrap("insert console session", err)
}

// GetConsoleSession returns the session with this digest that has not
// expired at nowMs, with its administrator's username; ErrNotFound if
// there is none.
func (q *Queries) GetConsoleSession(ctx context.Context, digest string, nowMs int64) (*ConsoleSession, error) {
	var s ConsoleSession
	err := q.q.QueryRowContext(ctx, `SELECT s.id_digest, s.admin_id, a.username, s.csrf, s.created_at, s.expires_at
FROM console_sessions s JOIN console_admins a ON a.id = s.admin_id
WHERE s.id_digest = $1 AND s.expires_at > $2`, digest, nowMs).
		Scan(&s.IDDigest, &s.AdminID, &s.Username, &s.CSRF, &s.CreatedAt, &s.ExpiresAt)
	if err != nil {
		return nil, wrap("get console session", err)
	}
	return &s, nil
}

// DeleteConsoleSession ends a session; a missing one is not an error
// (signing out twice is fine).
func (q *Queries) DeleteConsoleSession(ctx context.Context, digest string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_digest = $1`, digest)
	return wrap("delete console session", err)
}

// DeleteExpiredConsoleSessions removes the sessions expired at nowMs.
func (q *Queries) DeleteExpiredConsoleSessions(ctx context.Context, nowMs int64) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1`, nowMs)
	return wrap("delete expired console sessions", err)
}

// ReplaceConsoleSetupToken makes digest the only setup token, valid until
// expiresAt (epoch ms): a link printed before stops working.
func (q *Queries) ReplaceConsoleSetupToken(ctx context.Context, digest string, expiresAt int64) error {
	return q.atomic(ctx, func(q *Queries) error {
		if _, err := q.q.ExecContext(ctx, `DELETE FROM console_setup_tokens`); err != nil {
			return wrap("delete console setup tokens", err)
		}
		_, err := q.q.ExecContext(ctx, `INSERT INTO console_setup_tokens (digest, expires_at) VALUES ($1, $2)`, digest, expiresAt)
		return wrap("insert console setup token", err)
	})
}

// ConsoleSetupTokenValid reports whether digest is a setup token that has
// not expired at nowMs.
func (q *Queries) ConsoleSetupTokenValid(ctx context.Context, digest string, nowMs int64) (bool, error) {
	var n int64
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM console_setup_tokens WHERE digest = $1 AND expires_at > $2`, digest, nowMs).Scan(&n)
	return n > 0, wrap("check console setup token", err)
}

// DeleteConsoleSetupTokens removes every setup token (after the first
// administrator is created, none may be used again).
func (q *Queries) DeleteConsoleSetupTokens(ctx context.Context) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM console_setup_tokens`)
	return wrap("delete console setup tokens", err)
}

// ConsoleSetupTokenExpiry returns when the valid setup token (at nowMs)
// expires; ErrNotFound if there is none.
func (q *Queries) ConsoleSetupTokenExpiry(ctx context.Context, nowMs int64) (int64, error) {
	var at int64
	err := q.q.QueryRowContext(ctx, `SELECT MAX(expires_at) FROM console_setup_tokens WHERE expires_at > $1 HAVING COUNT(*) > 0`, nowMs).Scan(&at)
	return at, wrap("console setup token expiry", err)
}

// ErrLastConsoleAdmin is returned by DeleteConsoleAdmin for the only
// administrator left: the console must always have one.
var ErrLastConsoleAdmin = errors.New("store: the last console administrator")

// ConsoleInvite is a pending invitation of a console administrator. Digest
// is the SHA-256 digest (hex) of the link's token; the token is never
// stored.
type ConsoleInvite struct {
	Digest    string
	CreatedBy string // the inviting administrator's username
	CreatedAt int64  // epoch ms
	ExpiresAt int64
}

// ListConsoleAdmins returns every administrator, oldest first, with the
// number of their sessions unexpired at nowMs.
func (q *Queries) ListConsoleAdmins(ctx context.Context, nowMs int64) ([]ConsoleAdmin, []int64, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT a.id, a.username, a.password_hash, a.created_at, a.updated_at,
  (SELECT COUNT(*) FROM console_sessions s WHERE s.admin_id = a.id AND s.expires_at > $1)
FROM console_admins a ORDER BY a.created_at, a.username`, nowMs)
	if err != nil {
		return nil, nil, wrap("list console admins", err)
	}
	defer rows.Close()
	var (
		out      []ConsoleAdmin
		sessions []int64
	)
	for rows.Next() {
		var (
			a ConsoleAdmin
			n int64
		)
		if err := rows.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.CreatedAt, &a.UpdatedAt, &n); err != nil {
			return nil, nil, wrap("list console admins", err)
		}
		out, sessions = append(out, a), append(sessions, n)
	}
	return out, sessions, wrap("list console admins", rows.Err())
}

// GetConsoleAdmin returns administrator id; ErrNotFound if there is none.
func (q *Queries) GetConsoleAdmin(ctx context.Context, id string) (*ConsoleAdmin, error) {
	var a ConsoleAdmin
	err := q.q.QueryRowContext(ctx, `SELECT `+consoleAdminColumns+` FROM console_admins WHERE id = $1`, id).
		Scan(&a.ID, &a.Username, &a.PasswordHash, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, wrap("get console admin", err)
	}
	return &a, nil
}

// lockConsoleAdmins serializes the transactions that add or remove
// administrators on PostgreSQL (SQLite has one writer at a time), so that
// two removals cannot both see a second administrator.
func (q *Queries) lockConsoleAdmins(ctx context.Context) error {
	if q.dialect != dialectPostgres {
		return nil
	}
	_, err := q.q.ExecContext(ctx,
		`SELECT pg_advisory_xact_lock(hashtextextended('gatehouse.console_admins:' || coalesce(current_schema(), ''), 0))`)
	return wrap("lock console admins", err)
}

// DeleteConsoleAdmin removes administrator id and its sessions:
// ErrNotFound if there is no such administrator, ErrLastConsoleAdmin if it
// is the only one.
func (q *Queries) DeleteConsoleAdmin(ctx context.Context, id string) error {
	return q.atomic(ctx, func(q *Queries) error {
		if err := q.lockConsoleAdmins(ctx); err != nil {
			return err
		}
		if _, err := q.GetConsoleAdmin(ctx, id); err != nil {
			return err
		}
		n, err := q.CountConsoleAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			return ErrLastConsoleAdmin
		}
		if _, err := q.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE admin_id = $1`, id); err != nil {
			return wrap("end console sessions", err)
		}
		res, err := q.q.ExecContext(ctx, `DELETE FROM console_admins WHERE id = $1`, id)
		return affectedOne(res, err, "delete console admin")
	})
}

// DeleteOtherConsoleSessions ends every session of administrator adminID
// but the one with digest keep, and returns how many it ended.
func (q *Queries) DeleteOtherConsoleSessions(ctx context.Context, adminID, keep string) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE admin_id = $1 AND id_digest <> $2`, adminID, keep)
	if err != nil {
		return 0, wrap("end other console sessions", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("end other console sessions", err)
}

// InsertConsoleInvite stores an invitation; ErrConflict if its digest is
// taken.
func (q *Queries) InsertConsoleInvite(ctx context.Context, inv *ConsoleInvite) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO console_invites (digest, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		inv.Digest, inv.CreatedBy, inv.CreatedAt, inv.ExpiresAt)
	return wrap("insert console invite", err)
}

// ListConsoleInvites returns the invitations unexpired at nowMs, newest
// first.
func (q *Queries) ListConsoleInvites(ctx context.Context, nowMs int64) ([]ConsoleInvite, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT digest, created_by, created_at, expires_at FROM console_invites
WHERE expires_at > $1 ORDER BY created_at DESC, digest`, nowMs)
	if err != nil {
		return nil, wrap("list console invites", err)
	}
	defer rows.Close()
	var out []ConsoleInvite
	for rows.Next() {
		var inv ConsoleInvite
		if err := rows.Scan(&inv.Digest, &inv.CreatedBy, &inv.CreatedAt, &inv.ExpiresAt); err != nil {
			return nil, wrap("list console invites", err)
		}
		out = append(out, inv)
	}
	return out, wrap("list console invites", rows.Err())
}

// ConsoleInviteValid reports whether digest is an invitation unexpired at
// nowMs.
func (q *Queries) ConsoleInviteValid(ctx context.Context, digest string, nowMs int64) (bool, error) {
	var n int64
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM console_invites WHERE digest = $1 AND expires_at > $2`, digest, nowMs).Scan(&n)
	return n > 0, wrap("check console invite", err)
}

// AcceptConsoleInvite uses the invitation digest to create administrator
// a, in one transaction: ErrNotFound if the invitation does not exist or
// expired at nowMs (it can be used once), ErrConflict if the username is
// taken (the invitation stays usable).
func (q *Queries) AcceptConsoleInvite(ctx context.Context, digest string, nowMs int64, a *ConsoleAdmin) error {
	return q.atomic(ctx, func(q *Queries) error {
		if err := q.lockConsoleAdmins(ctx); err != nil {
			return err
		}
		res, err := q.q.ExecContext(ctx, `DELETE FROM console_invites WHERE digest = $1 AND expires_at > $2`, digest, nowMs)
		if err := affectedOne(res, err, "use console invite"); err != nil {
			return err
		}
		return q.InsertConsoleAdmin(ctx, a)
	})
}

// DeleteConsoleInvite revokes an invitation; a missing one is not an
// error.
func (q *Queries) DeleteConsoleInvite(ctx context.Context, digest string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM console_invites WHERE digest = $1`, digest)
	return wrap("delete console invite", err)
}

// DeleteExpiredConsoleInvites removes the invitations expired at nowMs.
func (q *Queries) DeleteExpiredConsoleInvites(ctx context.Context, nowMs int64) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM console_invites WHERE expires_at <= $1`, nowMs)
	return wrap("delete expired console invites", err)
}
