package main

import (
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/qorovul/qorovul/engine/httpapi"
)

// routesOf lists "METHOD /path" for every route of the API, with mux's
// {var} templates as OpenAPI writes them.
func routesOf(t testing.TB, a *TestApp) []string {
	t.Helper()
	api := httpapi.New(httpapi.Config{})
	var out []string
	err := api.Router().Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := r.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := r.GetMethods()
		if err != nil {
			return nil
		}
		for _, m := range methods {
			out = append(out, strings.ToUpper(m)+" "+tpl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
