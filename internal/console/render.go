package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// flashCookie carries a success notice across the redirect after a POST.
const flashCookie = "gatehouse_console_flash"

// pageTemplate is one page: the layout and partials with the page's own
// "content" (and "title") definitions.
type pageTemplate struct{ t *template.Template }

// parsePages parses templates/layout.html with every templates/pages/*.html
// into one template set per page.
func parsePages(funcs template.FuncMap) (map[string]*pageTemplate, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	files, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*pageTemplate, len(files))
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(assets, f); err != nil {
			return nil, fmt.Errorf("console: template %s: %w", f, err)
		}
		out[strings.TrimSuffix(path.Base(f), ".html")] = &pageTemplate{t: t}
	}
	return out, nil
}

// form is one form's submitted values and what was wrong with them.
type form struct {
	Values url.Values
	Errors map[string]string // by field name
	Error  string            // about the form as a whole
}

// newForm returns a form holding r's posted values.
func newForm(r *http.Request) *form {
	return &form{Values: r.PostForm, Errors: map[string]string{}}
}

// fail records a problem with field ("" for the whole form).
func (f *form) fail(field, msg string) {
	if field == "" {
		f.Error = msg
		return
	}
	if _, ok := f.Errors[field]; !ok {
		f.Errors[field] = msg
	}
}

// ok reports whether no problem was recorded.
func (f *form) ok() bool { return len(f.Errors) == 0 && f.Error == "" }

// get returns the trimmed value of field.
func (f *form) get(field string) string { return strings.TrimSpace(f.Values.Get(field)) }

// view is what every page template gets.
type view struct {
	Title string
	Nav   string // the sidebar section to highlight
	Base  string // the console's URL path
	Admin string // the signed-in administrator, "" when anonymous
	CSRF  string
	Flash string
	Forms map[string]*form // forms shown again with their problems
	D     any              // the page's own data
}

// render writes page name with status.
func (c *console) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, v view) {
	p, ok := c.pages[name]
	if !ok {
		panic("console: no page " + name)
	}
	v.Base = c.base
	if s != nil {
		v.Admin, v.CSRF = s.Username, s.CSRF
	}
	if v.Forms == nil {
		v.Forms = map[string]*form{}
	}
	if status == http.StatusOK {
		v.Flash = c.flash(w, r)
	}
	var b bytes.Buffer
	if err := p.t.ExecuteTemplate(&b, "layout", v); err != nil {
		c.log.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		http.Error(w, "Internal server error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct{ Heading, Message string }

// renderError renders the error page.
func (c *console) renderError(w http.ResponseWriter, r *http.Request, s *session, status int, heading, msg string) {
	c.render(w, r, s, status, "error", view{Title: heading, D: errorPage{heading, msg}})
}

// funcs are the template functions.
func (c *console) funcs() template.FuncMap {
	return template.FuncMap{
		// path joins escaped segments under the console: path "roles" .ID.
		"path": func(parts ...string) string {
			for i, p := range parts {
				parts[i] = url.PathEscape(p)
			}
			return c.base + "/" + strings.Join(parts, "/")
		},
		"ferr": func(forms map[string]*form, name, field string) string {
			if f := forms[name]; f != nil {
				return f.Errors[field]
			}
			return ""
		},
		"fval": func(forms map[string]*form, name, field string) string {
			if f := forms[name]; f != nil {
				return f.Values.Get(field)
			}
			return ""
		},
		"fchecked": func(forms map[string]*form, name, field, value string) bool {
			if f := forms[name]; f != nil {
				for _, v := range f.Values[field] {
					if v == value {
						return true
					}
				}
			}
			return false
		},
		"fgen": func(forms map[string]*form, name string) string {
			if f := forms[name]; f != nil {
				return f.Error
			}
			return ""
		},
		"ms":    formatMs,
		"msp":   func(v *int64) string { return formatMsPtr(v, "Never") },
		"deref": func(v *string) string { return deref(v) },
		"deref64": func(v *int64) int64 {
			if v == nil {
				return 0
			}
			return *v
		},
		"pretty": prettyJSON,
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"itoa":  func(v any) string { return fmt.Sprint(v) },
		"add":   func(a, b int) int { return a + b },
		"split": strings.Fields,
	}
}

// formatMs formats epoch milliseconds as UTC.
func formatMs(v int64) string {
	return time.UnixMilli(v).UTC().Format("2006-01-02 15:04 UTC")
}

func formatMsPtr(v *int64, none string) string {
	if v == nil {
		return none
	}
	return formatMs(*v)
}

func deref(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

// paging is a list's position, for the Previous / Next links.
type paging struct {
	Page, Size int
	Total      int64
	From, To   int64
	Prev, Next string // URLs; "" at the ends
}

// pageOf reads ?page= (1 when missing or bad).
func pageOf(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// pastEnd answers a list page beyond the last one (?page=99 of 2) with a
// redirect to the last page and a notice saying so; it reports whether it
// did.
func (c *console) pastEnd(w http.ResponseWriter, r *http.Request, n int, total int64) bool {
	if n <= 1 || int64((n-1)*pageSize) < total {
		return false
	}
	last := max(1, int((total+pageSize-1)/pageSize))
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(last))
	msg := fmt.Sprintf("There is no page %d: the list has %d pages. This is the last one.", n, last)
	if last == 1 {
		msg = fmt.Sprintf("There is no page %d: the list fits on one page.", n)
	}
	if total == 0 {
		msg = fmt.Sprintf("There is no page %d: the list is empty.", n)
	}
	c.redirect(w, r, strings.TrimPrefix(r.URL.Path, "/console")+"?"+q.Encode(), msg)
	return true
}

// newPaging builds the links of page n of total items, keeping r's query.
func newPaging(r *http.Request, n int, total int64) paging {
	p := paging{Page: n, Size: pageSize, Total: total}
	if total > 0 {
		p.From = int64((n-1)*pageSize) + 1
		p.To = min(int64(n*pageSize), total)
	}
	link := func(page int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		return r.URL.Path + "?" + q.Encode()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if int64(n*pageSize) < total {
		p.Next = link(n + 1)
	}
	return p
}

// prettyJSON indents raw JSON for an editor (raw as it is if invalid).
// Data nested deeper than the API accepts (stored before the bound) or
// larger than 256 kB is shown as it is: indentation grows with the depth
// on every line, and a 9,000-deep value made a page of 162 MB.
func prettyJSON(raw json.RawMessage) string {
	if len(raw) > 256<<10 || rbac.JSONDepth(raw) > rbac.MaxJSONDepth {
		return string(raw)
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}
