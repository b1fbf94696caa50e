package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// logColumns are the columns InsertLogs writes, in argument order.
const logColumns = `tenant_id, id, key, payload, application_id, result, created_at`

// logArgs is the number of statement arguments per log row.
const logArgs = 7

// logChunk is the most rows one multi-row INSERT carries: 256 rows are
// 1,792 arguments, far below PostgreSQL's limit of 65,535.
const logChunk = 256

// insertLogs appends entries to the audit log in their order (the order
// ListLogs reports, newest last). Empty payloads are stored as
// {}; ApplicationID and Result "" are stored as NULL.
//
// It is idempotent: an entry whose (tenant, id) is already stored is skipped
// (ON CONFLICT DO NOTHING), so the audit writer may repeat a batch whose
// outcome it could not learn (a commit lost with the connection, a crash
// while draining its spool) without storing an entry twice. Entry ids are
// random, so a skipped entry is the same entry written before.
//
// The token endpoint logs every request, so this is tuned per engine (see
// BenchmarkInsertLogs). PostgreSQL gets multi-row INSERTs of up to
// logChunk rows: one round trip each. SQLite gets one prepared single-row
// INSERT executed per entry in one transaction: SQLite resolves $N
// parameters by name with a linear search, so binding a multi-row
// statement costs time quadratic in its arguments, while a local call per
// row costs little, in transactions of sqliteLogChunk rows. On SQLite the
// log is a file of its own with its own write connection (see AuditPath),
// so no Management API write waits for these transactions; between two of
// them, retention's deletes take their turn.
// A failure may leave the first chunks stored; the retry skips them.
func (q *Queries) insertLogs(ctx context.Context, entries []rbac.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, len(entries)*logArgs)
	for i := range entries {
		e := &entries[i]
		payload, err := jsonArg("log payload", e.Payload, emptyObject)
		if err != nil {
			return fmt.Errorf("%w (log %s)", err, e.ID)
		}
		args = append(args, e.TenantID, e.ID, e.Key, payload, nullString(e.ApplicationID), nullString(e.Result), e.CreatedAt)
	}
	if q.dialect == dialectSQLite {
		for len(args) > 0 {
			n := min(len(args), sqliteLogChunk*logArgs)
			if err := q.atomic(ctx, func(q *Queries) error { return q.insertLogRows(ctx, args[:n]) }); err != nil {
				return err
			}
			args = args[n:]
		}
		return nil
	}
	if q.db != nil && len(entries) >= copyMinRows {
		err := q.copyLogs(ctx, args)
		if !errors.Is(err, ErrConflict) {
			return err
		}
		// An entry of the batch is stored already: a repeated batch.
		// INSERT ... ON CONFLICT below skips what is there.
	}
	if len(entries) <= logChunk {
		_, err := q.q.ExecContext(ctx, logInsertSQL(len(entries)), args...)
		return wrap("insert logs", err)
	}
	return q.atomic(ctx, func(q *Queries) error {
		for len(args) > 0 {
			n := min(len(args), logChunk*logArgs)
			if _, err := q.q.ExecContext(ctx, logInsertSQL(n/logArgs), args[:n]...); err != nil {
				return wrap("insert logs", err)
			}
			args = args[n:]
		}
		return nil
	})
}

// copyMinRows is the smallest batch PostgreSQL gets with COPY rather than
// a multi-row INSERT: COPY costs a round trip more (pgx asks for the
// columns' types first) and saves PostgreSQL the parsing, binding and
// planning of a statement with 7 parameters a row.
const copyMinRows = 32

// copyLogs stores the rows of args (logArgs values each) with COPY FROM
// STDIN in binary, on a connection of q.db: all or none of them, and with
// no ON CONFLICT, so a batch holding an entry already stored fails with a
// unique violation and the caller inserts it with INSERT ... ON CONFLICT
// instead (TestLogsIdempotent repeats such a batch).
//
// Why: the token endpoint's audit rows are PostgreSQL's main work under
// load, and PostgreSQL shares the machine's CPU with whatever else runs
// there. BenchmarkInsertLogs/postgres (256 rows a batch, one run each on
// the 2-core development machine): 8.8-9.0 ms a batch with COPY, 10.4-10.6
// ms with the multi-row INSERT, and 242 KB / 2,610 allocations in Go
// instead of 609 KB / 4,304.
func (q *Queries) copyLogs(ctx context.Context, args []any) error {
	rows := make([][]any, 0, len(args)/logArgs)
	for ; len(args) > 0; args = args[logArgs:] {
		rows = append(rows, args[:logArgs:logArgs])
	}
	conn, err := q.db.Conn(ctx)
	if err != nil {
		return wrap("insert logs", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: insert logs: %T is not a pgx connection", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{"logs"}, logColumnList, pgx.CopyFromRows(rows))
		return err
	})
	return wrap("insert logs", err)
}

// logColumnList is logColumns as a list.
var logColumnList = strings.Split(strings.ReplaceAll(logColumns, " ", ""), ",")

// sqliteLogChunk is how many audit rows one SQLite transaction inserts:
// about 2 ms of work, so that retention's deletes waiting behind it wait
// little, while a commit per 64 rows costs little in WAL mode without
// fsync (512-row transactions were no faster per row).
const sqliteLogChunk = 64

// insertLogRows inserts the rows of args (logArgs values each) with one
// prepared statement.
func (q *Queries) insertLogRows(ctx context.Context, args []any) error {
	st, err := q.q.PrepareContext(ctx, logInsertSQL(1))
	if err != nil {
		return wrap("insert logs", err)
	}
	defer st.Close()
	for ; len(args) > 0; args = args[logArgs:] {
		if _, err := st.ExecContext(ctx, args[:logArgs]...); err != nil {
			return wrap("insert logs", err)
		}
	}
	return nil
}

// logInsertSQL returns an INSERT of n log rows.
func logInsertSQL(n int) string {
	var b strings.Builder
	b.Grow(64 + n*40 + len(logConflict))
	b.WriteString(`INSERT INTO logs (` + logColumns + `) VALUES `)
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range logArgs {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	b.WriteString(logConflict)
	return b.String()
}

// logConflict makes a log insert skip entries already stored (see
// InsertLogs); logs__id is the unique index on (tenant_id, id) in both
// dialects.
const logConflict = ` ON CONFLICT (tenant_id, id) DO NOTHING`

// listLogs returns the entries f selects, newest first (reverse insertion
// order), paginated by f.Limit (0: no limit) and f.Offset, and the number
// of entries f selects regardless of pagination. Empty filter fields,
// TenantID included, do not filter.
func (q *Queries) listLogs(ctx context.Context, f rbac.LogFilter) ([]rbac.LogEntry, int64, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.TenantID != "" {
		add("tenant_id = $%d", f.TenantID)
	}
	if f.Key != "" {
		add("key = $%d", f.Key)
	}
	if f.KeyPrefix != "" {
		// substr, not LIKE: exact on both engines (SQLite's LIKE ignores
		// case) with no wildcard to escape. It uses no index.
		args = append(args, utf8.RuneCountInString(f.KeyPrefix), f.KeyPrefix) // substr counts characters
		where = append(where, fmt.Sprintf("substr(key, 1, $%d) = $%d", len(args)-1, len(args)))
	}
	if f.ApplicationID != "" {
		add("application_id = $%d", f.ApplicationID)
	}
	if f.Result != "" {
		add("result = $%d", f.Result)
	}
	if f.StartTime != 0 {
		add("created_at >= $%d", f.StartTime)
	}
	if f.EndTime != 0 {
		add("created_at <= $%d", f.EndTime)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}

	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM logs`+cond, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count logs", err)
	}

	// LIMIT is always given (the largest int64 for "no limit") because
	// SQLite accepts OFFSET only after a LIMIT and PostgreSQL refuses -1.
	limit := int64(math.MaxInt64)
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	offset := int64(max(f.Offset, 0))
	n := len(args)
	args = append(args, limit, offset)
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, id, key, payload, application_id, result, created_at
FROM logs`+cond+fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d OFFSET $%d`, n+1, n+2), args...)
	if err != nil {
		return nil, 0, wrap("list logs", err)
	}
	defer rows.Close()
	var out []rbac.LogEntry
	for rows.Next() {
		e, err := scanLog(rows)
		if err != nil {
			return nil, 0, wrap("list logs", err)
		}
		out = append(out, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list logs", err)
	}
	return out, total, nil
}

// getLog returns the log entry id of tenant; ErrNotFound if none.
func (q *Queries) getLog(ctx context.Context, tenant, id string) (*rbac.LogEntry, error) {
	row := q.q.QueryRowContext(ctx, `SELECT tenant_id, id, key, payload, application_id, result, created_at
FROM logs WHERE tenant_id = $1 AND id = $2`, tenant, id)
	e, err := scanLog(row)
	if err != nil {
		return nil, wrap("log "+id, err)
	}
	return e, nil
}

// scanLog reads one log row selected with the columns of GetLog.
func scanLog(r interface{ Scan(...any) error }) (*rbac.LogEntry, error) {
	var (
		e       rbac.LogEntry
		payload []byte
		appID   sql.NullString
		result  sql.NullString
	)
	if err := r.Scan(&e.TenantID, &e.ID, &e.Key, &payload, &appID, &result, &e.CreatedAt); err != nil {
		return nil, err
	}
	e.Payload = json.RawMessage(payload)
	e.ApplicationID = appID.String
	e.Result = result.String
	return &e, nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
