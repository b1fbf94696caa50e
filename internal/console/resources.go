package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Token lifetime bounds of the console's forms (seconds): a minute to a
// year. The Management API itself takes any integer, as Logto's.
const (
	minTTL = 60
	maxTTL = 365 * 24 * 3600
)

// resourceRow is a resource in the list.
type resourceRow struct {
	management.ResourceWithScopes
	Management bool
}

// resourceListPage is the API resources list.
type resourceListPage struct {
	Resources []resourceRow
	Paging    paging
}

// isManagement reports whether r is the Management API resource, which
// the console shows read-only.
func (c *console) isManagement(r *rbac.Resource) bool {
	return r.ID == management.ManagementResourceID || r.Indicator == c.cfg.Indicator
}

func (c *console) listResources(w http.ResponseWriter, r *http.Request, s *session) error {
	n := pageOf(r)
	list, total, err := c.svc.ListResources(r.Context(), pager(n), true)
	if err != nil {
		return err
	}
	if c.pastEnd(w, r, n, total) {
		return nil
	}
	p := resourceListPage{Paging: newPaging(r, n, total)}
	for _, res := range list {
		p.Resources = append(p.Resources, resourceRow{ResourceWithScopes: res, Management: c.isManagement(&res.Resource)})
	}
	c.render(w, r, s, http.StatusOK, "resources", view{Title: "API resources", Nav: "resources", D: p})
	return nil
}

func (c *console) newResourceForm(w http.ResponseWriter, r *http.Request, s *session) error {
	c.render(w, r, s, http.StatusOK, "resource-new", view{Title: "Create an API resource", Nav: "resources"})
	return nil
}

// checkIndicator records what is wrong with a resource indicator: RFC 8707
// §2 wants an absolute URI without a fragment.
func checkIndicator(f *form, v string) {
	u, err := url.Parse(v)
	switch {
	case v == "":
		f.fail("indicator", "Enter the API identifier, like https://api.example.com.")
	case err != nil || !u.IsAbs() || strings.Contains(v, "#") || strings.ContainsAny(v, " \t"):
		f.fail("indicator", "Use an absolute URI without a fragment, like https://api.example.com.")
	}
}

// checkTTL reads the token lifetime field (empty: def).
func checkTTL(f *form, def int64) *int64 {
	v := f.get("accessTokenTtl")
	if v == "" {
		return &def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < minTTL || n > maxTTL {
		f.fail("accessTokenTtl", "Enter a number of seconds from 60 to 31536000 (one year).")
		return nil
	}
	return &n
}

func (c *console) createResource(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	name, ind := f.get("name"), f.get("indicator")
	checkName(f, "name", name, 256)
	checkIndicator(f, ind)
	ttl := checkTTL(f, 3600)
	if f.ok() {
		res, err := c.svc.CreateResource(r.Context(), management.ResourceInput{Name: name, Indicator: ind, AccessTokenTTL: ttl})
		if err == nil {
			return c.redirect(w, r, "/resources/"+res.ID, "API resource “"+name+"” created. Now add its permissions.")
		}
		if err := formError(f, err); err != nil {
			return err
		}
	}
	c.render(w, r, s, http.StatusUnprocessableEntity, "resource-new", view{Title: "Create an API resource", Nav: "resources",
		Forms: map[string]*form{"resource": f}})
	return nil
}

// resourcePage is a resource's page.
type resourcePage struct {
	Resource   *rbac.Resource
	Management bool
	Scopes     []rbac.Scope
}

func (c *console) renderResource(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	ctx := r.Context()
	res, err := c.svc.GetResource(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	scopes, _, err := c.svc.ListResourceScopes(ctx, res.ID, store.Search{}, all)
	if err != nil {
		return err
	}
	p := resourcePage{Resource: res, Management: c.isManagement(res), Scopes: scopes}
	c.render(w, r, s, status, "resource", view{Title: res.Name, Nav: "resources", Forms: forms, D: p})
	return nil
}

func (c *console) showResource(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderResource(w, r, s, http.StatusOK, nil)
}

func (c *console) againResource(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderResource(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

func (c *console) updateResource(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	name := f.get("name")
	checkName(f, "name", name, 256)
	ttl := checkTTL(f, 3600)
	if !f.ok() {
		return c.againResource(w, r, s, "settings", f, nil)
	}
	if _, err := c.svc.UpdateResource(r.Context(), id, &name, ttl); err != nil {
		return c.againResource(w, r, s, "settings", f, err)
	}
	return c.redirect(w, r, "/resources/"+id, "Settings saved.")
}

func (c *console) setResourceDefault(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	on := f.Values.Get("isDefault") == "true"
	if _, err := c.svc.SetResourceDefault(r.Context(), id, on); err != nil {
		return c.againResource(w, r, s, "default", f, err)
	}
	msg := "This API is no longer the default resource."
	if on {
		msg = "This API is now the default resource: token requests without a resource get a token for it."
	}
	return c.redirect(w, r, "/resources/"+id, msg)
}

func (c *console) addScope(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	name := f.get("name")
	if name == "" {
		f.fail("name", "Enter a permission name, like read:orders.")
	}
	checkName(f, "name", name, 256)
	checkDescription(f, "description", f.get("description"))
	if !f.ok() {
		return c.againResource(w, r, s, "scope-add", f, nil)
	}
	if _, err := c.svc.CreateScope(r.Context(), id, name, optional(f.get("description"))); err != nil {
		return c.againResource(w, r, s, "scope-add", f, err)
	}
	return c.redirect(w, r, "/resources/"+id+"#permissions", "Permission “"+name+"” added.")
}

func (c *console) editScope(w http.ResponseWriter, r *http.Request, s *session) error {
	id, scopeID := r.PathValue("id"), r.PathValue("scope")
	f := newForm(r)
	name := f.get("name")
	checkName(f, "name", name, 256)
	checkDescription(f, "description", f.get("description"))
	key := "scope-edit:" + scopeID
	if !f.ok() {
		return c.againResource(w, r, s, key, f, nil)
	}
	u := store.ScopeUpdate{Name: &name, Description: optional(f.get("description")), SetDescription: true}
	if _, err := c.svc.UpdateScope(r.Context(), id, scopeID, u); err != nil {
		return c.againResource(w, r, s, key, f, err)
	}
	return c.redirect(w, r, "/resources/"+id+"#permissions", "Permission “"+name+"” saved.")
}

func (c *console) deleteScope(w http.ResponseWriter, r *http.Request, s *session) error {
	id, scopeID := r.PathValue("id"), r.PathValue("scope")
	f := newForm(r)
	if err := c.svc.DeleteScope(r.Context(), id, scopeID); err != nil {
		return c.againResource(w, r, s, "scopes", f, err)
	}
	return c.redirect(w, r, "/resources/"+id+"#permissions", "Permission deleted: roles no longer grant it.")
}

func (c *console) deleteResource(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	res, err := c.svc.GetResource(r.Context(), id)
	if err != nil {
		return err
	}
	if f.get("confirm") != res.Name {
		f.fail("confirm", "Type the API's name, "+res.Name+", to confirm.")
		return c.againResource(w, r, s, "delete", f, nil)
	}
	if err := c.svc.DeleteResource(r.Context(), id); err != nil {
		return c.againResource(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/resources", "API resource “"+res.Name+"” deleted.")
}
