package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/qorovul/qorovul/engine"
)

// statusOf maps each application error code to its HTTP status: the one table.
var statusOf = map[string]int{
	engine.EINVALID:      http.StatusBadRequest,
	engine.EUNAUTHORIZED: http.StatusUnauthorized,
	engine.EFORBIDDEN:    http.StatusForbidden,
	engine.ENOTFOUND:     http.StatusNotFound,
	engine.ECONFLICT:     http.StatusConflict,
	engine.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	engine.EMEDIATYPE:    http.StatusUnsupportedMediaType,
	engine.EINTERNAL:     http.StatusInternalServerError,
	engine.EUNAVAILABLE:  http.StatusServiceUnavailable,
	engine.EDEADLINE:     http.StatusGatewayTimeout,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []engine.FieldError `json:"fields,omitempty"`
}

// writeError sends err in the one error shape. Internal details go to the
// log only; the client sees the code and the safe message.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := engine.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status, code = http.StatusInternalServerError, engine.EINTERNAL
	}
	if status >= 500 {
		log.Error("request failed", keyMethod, r.Method, keyPath, r.URL.Path, keyCode, code, keyErr, err)
	}
	if code == engine.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="qorovul"`)
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: engine.ErrorMessage(err), Fields: engine.ErrorFields(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeRawJSON sends JSON the caller already encoded, ending the body with
// a newline if it has none. It never writes into b.
func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	newline := len(b) == 0 || b[len(b)-1] != '\n'
	n := len(b)
	if newline {
		n++
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(status)
	w.Write(b)
	if newline {
		w.Write([]byte{'\n'})
	}
}
