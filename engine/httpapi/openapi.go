package httpapi

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the API's OpenAPI 3.1 document.
func OpenAPI() []byte { return openapiJSON }

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeRawJSON(w, http.StatusOK, openapiJSON)
}
