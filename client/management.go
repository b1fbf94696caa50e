package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// ManagementOptions are the options of @logto/api's createManagementApi,
// plus the Go knobs.
type ManagementOptions struct {
	// ClientID and ClientSecret are those of a machine-to-machine
	// application holding a role with the Management API's "all" scope.
	ClientID     string
	ClientSecret string
	// BaseURL is the server's address; default https://<tenant>.logto.app.
	BaseURL string
	// APIIndicator is the Management API's resource indicator; default
	// https://<tenant>.logto.app/api. Gatehouse's default is
	// https://default.logto.app/api, so tenant "default" needs no indicator.
	APIIndicator string

	// TokenSource, if set, supplies the bearer tokens instead of the client
	// credentials (like @logto/api's createApiClient with getToken).
	TokenSource oauth2.TokenSource
	// HTTPClient sends the requests (API and token); nil means a client
	// with a 30-second timeout.
	HTTPClient *http.Client
	// Leeway and Now are passed to the token source (see TokenConfig).
	Leeway time.Duration
	Now    func() time.Time
}

// ManagementAPI calls the Management API. Its methods are safe for
// concurrent use. Each method is named after the route's operationId in
// api/openapi.yaml and documented with its method and path.
type ManagementAPI struct {
	base   string
	tokens oauth2.TokenSource
	http   *http.Client
	err    error // opts.Validate's verdict: every call returns it
}

// Validate reports what makes opts unusable, wrapping [ErrInvalidConfig]:
// BaseURL, if set, must be an absolute http or https URL, and so must
// APIIndicator (when there is no TokenSource). Call it at startup to fail
// early; a ManagementAPI made from invalid options returns the same error
// from every call without sending anything.
func (opts ManagementOptions) Validate() error {
	if opts.BaseURL != "" {
		if err := checkURL("ManagementOptions.BaseURL", opts.BaseURL); err != nil {
			return err
		}
	}
	if opts.APIIndicator != "" && opts.TokenSource == nil {
		if u, err := url.Parse(opts.APIIndicator); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("%w: ManagementOptions.APIIndicator %q is not an absolute URI", ErrInvalidConfig, opts.APIIndicator)
		}
	}
	return nil
}

// NewManagementAPI returns a Management API client for tenantID (any
// string, "default" for a self-hosted server) with opts, as @logto/api's
// createManagementApi(tenantId, options) does: tokens come from the client
// credentials grant for the API indicator with scope "all", cached and
// renewed before they expire. If opts.Validate fails, every call returns
// that error.
func NewManagementAPI(tenantID string, opts ManagementOptions) *ManagementAPI {
	base := opts.BaseURL
	if base == "" {
		base = "https://" + tenantID + ".logto.app"
	}
	base = strings.TrimRight(base, "/")
	indicator := opts.APIIndicator
	if indicator == "" {
		indicator = "https://" + tenantID + ".logto.app/api"
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	ts := opts.TokenSource
	if ts == nil {
		ts = NewTokenSource(TokenConfig{
			BaseURL: base, ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
			Resource: indicator, Scopes: []string{"all"},
			Leeway: opts.Leeway, HTTPClient: hc, Now: opts.Now,
		})
	}
	return &ManagementAPI{base: base, tokens: ts, http: hc, err: opts.Validate()}
}

// TokenSource returns the source of the client's bearer tokens (like
// createManagementApi's clientCredentials).
func (m *ManagementAPI) TokenSource() oauth2.TokenSource { return m.tokens }

// maxAnswer bounds what is read of an API answer.
const maxAnswer = 64 << 20

// call is one request: method, path (already escaped), query, JSON body.
type call struct {
	method string
	path   string
	query  url.Values
	body   any
	anon   bool // no token (status and OpenAPI routes)
}

// do sends c and decodes a JSON answer into out (if not nil). It returns
// the answer's headers. A 401 to a cached token of a [TokenSource] (the
// signing key it was made with may have been deleted) drops the token and
// retries the call once with a new one: a 401 means nothing was done.
func (m *ManagementAPI) do(ctx context.Context, c call, out any) (http.Header, error) {
	if m.err != nil {
		return nil, m.err
	}
	var body []byte
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, fmt.Errorf("client: %s %s: %w", c.method, c.path, err)
		}
		body = b
	}
	h, err := m.send(ctx, c, body, out)
	if e, ok := err.(*Error); ok && e.Status == http.StatusUnauthorized && !c.anon {
		if inv, ok := m.tokens.(interface{ Invalidate() }); ok {
			inv.Invalidate()
			return m.send(ctx, c, body, out)
		}
	}
	return h, err
}

func (m *ManagementAPI) send(ctx context.Context, c call, body []byte, out any) (http.Header, error) {
	u := m.base + c.path
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", c.method, c.path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if !c.anon {
		var tok *oauth2.Token
		if tc, ok := m.tokens.(interface {
			TokenContext(context.Context) (*oauth2.Token, error)
		}); ok {
			tok, err = tc.TokenContext(ctx)
		} else {
			tok, err = m.tokens.Token()
		}
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", c.method, c.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Status: resp.StatusCode}
		var eb struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details string `json:"details"`
		}
		if json.Unmarshal(b, &eb) == nil && (eb.Code != "" || eb.Message != "") {
			e.Code, e.Message, e.Details = eb.Code, eb.Message, eb.Details
		} else {
			e.Message = snippet(b)
		}
		return resp.Header, e
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("client: %s %s: decoding the answer: %w", c.method, c.path, err)
		}
	}
	return resp.Header, nil
}

// esc escapes a path segment.
func esc(s string) string { return url.PathEscape(s) }

// ListOptions are the paging and search parameters of list routes. Zero
// values are not sent: a list marked "pagination optional" then returns
// everything, one "always paginated" its first page of 20.
type ListOptions struct {
	Page     int // from 1
	PageSize int // at most 100
	// Search is a value searched in every searchable field (add % wildcards
	// in "like" mode); SearchFields searches named fields (search.<field>).
	Search       string
	SearchFields map[string]string
	Mode         string // like (default), exact, similar_to, posix
	// FieldModes sets the mode of one field's search (mode.<field>), over
	// Mode; FieldValues searches a field for any of several values (exact
	// mode takes several; the others one).
	FieldModes  map[string]string
	FieldValues map[string][]string
	Joint       string // or (default), and
	// CaseSensitive makes the search case sensitive (similar_to needs it).
	CaseSensitive bool
	// ExcludeOrganizationID (ListUsers only) leaves out the members of that
	// organization.
	ExcludeOrganizationID string
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	if o.Search != "" {
		q.Set("search", o.Search)
	}
	for k, v := range o.SearchFields {
		q.Set("search."+k, v)
	}
	for k, vs := range o.FieldValues {
		for _, v := range vs {
			q.Add("search."+k, v)
		}
	}
	if o.Mode != "" {
		q.Set("mode", o.Mode)
	}
	for k, v := range o.FieldModes {
		q.Set("mode."+k, v)
	}
	if o.Joint != "" {
		q.Set("joint", o.Joint)
	}
	if o.CaseSensitive {
		q.Set("isCaseSensitive", "true")
	}
	if o.ExcludeOrganizationID != "" {
		q.Set("excludeOrganizationId", o.ExcludeOrganizationID)
	}
	return q
}

// all iterates over every page of a list, from page 1, with
// pageSize entries a page (100 if 0). It stops at the first short page, or
// when Total-Number entries were read, or at an error (yielded once).
func all[T any](m *ManagementAPI, ctx context.Context, p string, query func() url.Values, pageSize int) iter.Seq2[T, error] {
	if pageSize <= 0 || pageSize > 100 {
		pageSize = 100
	}
	return func(yield func(T, error) bool) {
		seen := 0
		for page := 1; ; page++ {
			q := query()
			q.Set("page", strconv.Itoa(page))
			q.Set("page_size", strconv.Itoa(pageSize))
			var items []T
			h, err := m.do(ctx, call{method: http.MethodGet, path: p, query: q}, &items)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			seen += len(items)
			total, terr := strconv.Atoi(h.Get("Total-Number"))
			if len(items) < pageSize || terr == nil && seen >= total {
				return
			}
		}
	}
}
