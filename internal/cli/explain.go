package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/gatehouse/gatehouse/client"
)

// explain turns err into a short message for people: no Go package
// prefixes, no raw dial errors, and a hint at the likely cause (server
// unreachable, wrong credentials, bad URL, missing role or resource).
func (r *runner) explain(err error) string {
	msg := err.Error()
	if inner, text := r.explainInner(err); inner != nil {
		if i := strings.Index(msg, inner.Error()); i >= 0 {
			msg = msg[:i] + text + msg[i+len(inner.Error()):]
		} else {
			msg = text
		}
	}
	return strings.ReplaceAll(msg, "client: ", "")
}

// explainInner finds the error in err's chain that explain rewrites, and
// its message; inner is nil if there is none.
func (r *runner) explainInner(err error) (inner error, text string) {
	base := r.baseURL()
	var (
		oe  *client.OAuthError
		ae  *client.Error
		ue  *url.Error
		dns *net.DNSError
	)
	switch {
	case errors.Is(err, client.ErrInvalidConfig):
		if strings.Contains(err.Error(), "APIIndicator") {
			return err, fmt.Sprintf("the Management API indicator %q is not an absolute URI (--api-indicator or GATEHOUSE_MANAGEMENT_API_INDICATOR)", first(r.indicator, r.getenv("GATEHOUSE_MANAGEMENT_API_INDICATOR")))
		}
		return err, fmt.Sprintf("the server address %q is not usable: want a URL like http://localhost:3001 (--url or GATEHOUSE_URL)", base)
	case errors.As(err, &oe):
		desc := oe.Code
		if oe.Description != "" {
			desc += ": " + oe.Description
		}
		switch oe.Code {
		case "invalid_client":
			return oe, "credentials refused (" + desc + "); check the application id and secret (--client-id, GATEHOUSE_CLIENT_ID; GATEHOUSE_CLIENT_SECRET)"
		case "invalid_target":
			return oe, "the token endpoint knows no such API resource (" + desc + "); see gatehouse resources list"
		}
		return oe, fmt.Sprintf("the token endpoint refused (HTTP %d %s)", oe.Status, desc)
	case errors.As(err, &ae):
		text = strings.TrimPrefix(ae.Error(), "client: ")
		switch ae.Status {
		case 401:
			text += "; check the application id and secret"
		case 403:
			text += "; the application needs a role with the Management API's \"all\" scope"
		}
		return ae, text
	case errors.Is(err, context.Canceled):
		return err, "interrupted"
	case errors.As(err, &dns):
		return err, fmt.Sprintf("cannot resolve the server's host %q; check the address %s (--url or GATEHOUSE_URL)", dns.Name, base)
	case errors.Is(err, syscall.ECONNREFUSED):
		return err, fmt.Sprintf("cannot connect to %s (connection refused); is the server running at %s? (--url or GATEHOUSE_URL)", base, base)
	case errors.As(err, &ue) && ue.Timeout():
		return err, fmt.Sprintf("the server at %s did not answer in time; is it running and reachable?", base)
	case errors.As(err, &ue):
		return err, fmt.Sprintf("cannot reach the server at %s (%v); is the address right? (--url or GATEHOUSE_URL)", base, ue.Err)
	}
	return nil, ""
}
