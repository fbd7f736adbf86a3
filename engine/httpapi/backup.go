package httpapi

import (
	"io"
	"net/http"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// backuper writes a consistent snapshot of the database.
type backuper interface {
	Backup(w io.Writer) (int64, error)
}

// handleBackup streams a backup of the whole database while the instance
// keeps deciding: GET /v1/backup. It holds everyone's payments, so it is
// first recorded in the audit ledger (kind "database.backup", by whom): no
// backup leaves without a trace, and the backup holds its own entry. Once
// the first bytes are out an error can no longer change the status, so
// the connection is cut instead and the client sees a body that ended
// early (which restore refuses anyway).
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	err := s.cfg.Recorder.Record(r.Context(), engine.Action{Kind: "database.backup", Subject: "database", Actor: actor(r), Payload: []byte(`{"format":"QOROVUL-BACKUP 1"}`)})
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	// A large database takes longer than the server's write timeout.
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
		s.log.Warn("backup: cannot lift the write deadline", keyErr, err)
	}
	start := time.Now()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="qorovul-`+start.UTC().Format("20060102T150405Z")+`.backup"`)
	w.Header().Set("Cache-Control", "no-store")
	n, err := s.cfg.Backup.Backup(w)
	if err != nil {
		s.log.Error("backup failed", "bytes", n, keyErr, err)
		panic(http.ErrAbortHandler)
	}
	p := r.Context().Value(principalKey{}).(engine.Principal)
	s.log.Info("backup sent", "token_id", p.TokenID, "bytes", n, keyTook, time.Since(start))
}
