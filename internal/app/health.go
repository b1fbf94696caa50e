package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// readyTimeout bounds the readiness probe's database check: a probe that
// hangs is as bad as a failed one, and orchestrators time out at 1 s to 10 s.
const readyTimeout = 2 * time.Second

// Readiness check values.
const (
	checkOK      = "ok"
	checkUnknown = "unknown" // not checked: an earlier check failed
)

// readiness is /readyz's body.
type readiness struct {
	Status string            `json:"status"` // "ready" or "unavailable"
	Checks map[string]string `json:"checks"` // database, migrations, signing_keys: "ok" or what is wrong
}

// healthz answers 200 while the process serves HTTP: the liveness probe.
// It checks nothing else, so that an outage of the database does not get
// every instance restarted.
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(`{"status":"ok"}`))
}

// ready checks what this instance needs to answer more than cached
// grants: the database answers (one query, bounded by readyTimeout), holds
// every migration of this binary, and signing keys are loaded. Problems are
// named, without error details (the probe is public); the log has those.
func (s *Server) ready(ctx context.Context) readiness {
	rd := readiness{Status: "ready", Checks: map[string]string{
		"database": checkOK, "migrations": checkOK, "signing_keys": checkOK,
	}}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	switch err := s.store.Migrated(ctx); {
	case err == nil:
	case errors.Is(err, store.ErrNotMigrated):
		rd.Checks["migrations"] = "the database lacks migrations of this version: restart the instance to apply them"
	default:
		s.log.Warn("readiness: database", "err", err)
		rd.Checks["database"] = "unreachable"
		rd.Checks["migrations"] = checkUnknown
	}
	if k := s.svc.Keys(); k == nil || k.Current() == nil {
		rd.Checks["signing_keys"] = "no signing key loaded"
	}
	for _, v := range rd.Checks {
		if v != checkOK {
			rd.Status = "unavailable"
		}
	}
	return rd
}

// readyz answers 200 when ready, 503 naming what is wrong otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.ready(r.Context())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if rd.Status != "ready" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rd)
}
