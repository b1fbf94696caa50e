package client_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestListOptionsSearch sends per-field modes and several exact values.
func TestListOptionsSearch(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		defer fatalOnFailure(t)
		ctx := context.Background()
		m := admin(e)
		for _, name := range []string{"ann", "ben", "cat"} {
			n := name
			must(m.CreateUser(ctx, client.UserWrite{Username: &n}))
		}
		names := func(o client.ListOptions) []string {
			var out []string
			for _, u := range must(m.ListUsers(ctx, o)) {
				out = append(out, u.Username)
			}
			slices.Sort(out)
			return out
		}
		got := names(client.ListOptions{
			FieldValues: map[string][]string{"username": {"ann", "cat"}},
			FieldModes:  map[string]string{"username": "exact"},
		})
		if !slices.Equal(got, []string{"ann", "cat"}) {
			t.Errorf("exact values: %v", got)
		}
		got = names(client.ListOptions{SearchFields: map[string]string{"username": "^b"}, FieldModes: map[string]string{"username": "posix"}})
		if !slices.Equal(got, []string{"ben"}) {
			t.Errorf("posix: %v", got)
		}
		_, err := m.ListUsers(ctx, client.ListOptions{SearchFields: map[string]string{"username": "a%"}, Mode: "similar_to"})
		wantErr(t, err, 400, "request.invalid_input", nil)
	})
}
