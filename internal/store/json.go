package store

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Defaults for JSON columns left empty by the caller (spec §1.2).
const (
	defaultOIDCClientMetadata = `{"redirectUris":[],"postLogoutRedirectUris":[]}`
	emptyObject               = `{}`
)

// jsonNull is what a nullable JSON column reads as when it is NULL.
const jsonNull = "null"

// jsonArg turns raw JSON into a statement argument: def when raw is empty,
// ErrCheck when raw is not valid JSON (PostgreSQL would refuse it and
// SQLite would not, so the store checks it once for both). JSON travels as
// a string: TEXT for SQLite, raw JSON text for pgx's JSONB codec.
func jsonArg(column string, raw json.RawMessage, def string) (string, error) {
	if len(raw) == 0 {
		return def, nil
	}
	if !json.Valid(raw) {
		return "", fmt.Errorf("%w: %s is not valid JSON", ErrCheck, column)
	}
	return string(raw), nil
}

// nullableJSONArg is jsonArg for a nullable column: empty or JSON null is
// stored as SQL NULL.
func nullableJSONArg(column string, raw json.RawMessage) (any, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == jsonNull {
		return nil, nil
	}
	return jsonArg(column, raw, "")
}
