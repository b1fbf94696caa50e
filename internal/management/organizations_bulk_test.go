package management_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestOrganizationBulkApplicationRoles holds POST
// /api/organizations/{id}/applications/roles to Logto's one INSERT of every
// (role, application) pair with ON CONFLICT DO NOTHING: all pairs or none,
// repeats ignored; and the list that follows to one row per member
// (Logto groups its role join by application), each with its roles by
// name, members without roles included, non-members never.
func TestOrganizationBulkApplicationRoles(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var apps []string
		for i := range 4 {
			a, _ := newApp(t, e, fmt.Sprintf("bulk app %d", i))
			apps = append(apps, a.ID)
		}
		outsider, _ := newApp(t, e, "outsider")
		var org orgBody
		e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Bulk"}, &org)
		var roles []string
		for _, n := range []string{"zeta", "alpha", "mid"} {
			var role map[string]any
			e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": n, "type": "MachineToMachine"}, &role)
			roles = append(roles, role["id"].(string))
		}
		base := "/api/organizations/" + org.ID + "/applications"
		e.Must(201, "POST", base, map[string]any{"applicationIds": apps}, nil)

		// Three apps × three roles, with repeats in both lists.
		body := map[string]any{"applicationIds": []string{apps[0], apps[1], apps[2], apps[0]}, "organizationRoleIds": []string{roles[0], roles[1], roles[2], roles[1]}}
		r := e.Must(201, "POST", base+"/roles", body, nil)
		if string(r.Body) != "Created" {
			t.Fatalf("bulk body %q", r.Body)
		}
		e.Must(201, "POST", base+"/roles", body, nil) // again: nothing new, no error

		// A batch with one non-member gives no one anything.
		wantCode(t, "bulk with an outsider", e.API("POST", base+"/roles", map[string]any{
			"applicationIds": []string{apps[3], outsider.ID}, "organizationRoleIds": []string{roles[0]}}), 422, "entity.relation_foreign_key_not_found")
		wantCode(t, "bulk unknown role", e.API("POST", base+"/roles", map[string]any{
			"applicationIds": []string{apps[3]}, "organizationRoleIds": []string{roles[0], "nope"}}), 422, "entity.relation_foreign_key_not_found")
		wantCode(t, "bulk no apps", e.API("POST", base+"/roles", map[string]any{
			"applicationIds": []string{}, "organizationRoleIds": []string{roles[0]}}), 400, "guard.invalid_input")

		var list []struct {
			ID                string           `json:"id"`
			OrganizationRoles []map[string]any `json:"organizationRoles"`
		}
		r = e.Must(200, "GET", base, nil, &list)
		if len(list) != 4 || r.Header.Get("Total-Number") != "4" {
			t.Fatalf("list: %d rows, Total-Number %s: %+v", len(list), r.Header.Get("Total-Number"), list)
		}
		byName := []string{roles[1], roles[2], roles[0]} // alpha, mid, zeta
		var ids []string
		for _, a := range list {
			ids = append(ids, a.ID)
			want := byName
			if a.ID == apps[3] {
				want = []string{}
			}
			if got := refIDs(a.OrganizationRoles); !reflect.DeepEqual(got, want) {
				t.Errorf("%s roles %v, want %v", a.ID, got, want)
			}
		}
		slices.Sort(ids)
		wantIDs := slices.Clone(apps)
		slices.Sort(wantIDs)
		if !slices.Equal(ids, wantIDs) {
			t.Errorf("members %v, want %v", ids, wantIDs)
		}
		// Pages split members, never one member's roles.
		r = e.Must(200, "GET", base+"?page=2&page_size=3", nil, &list)
		if len(list) != 1 || r.Header.Get("Total-Number") != "4" {
			t.Fatalf("page 2: %+v %s", list, r.Header.Get("Total-Number"))
		}
		// Each member's own list agrees.
		var own []map[string]any
		r = e.Must(200, "GET", base+"/"+apps[1]+"/roles", nil, &own)
		if len(own) != 3 || r.Header.Get("Total-Number") != "3" {
			t.Fatalf("own roles %v", own)
		}
	})
}
