package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/store"
)

// fieldOf maps the Management API error codes a form can meet to the form
// field they are about; codes not listed are shown above the form.
var fieldOf = map[string]string{
	"resource.resource_identifier_in_use": "indicator",
	"scope.name_exists":                   "name",
	"scope.name_with_space":               "name",
	"role.name_in_use":                    "name",
	"role.internal_role_violation":        "name",
	"application.secret_name_exists":      "name",
	"user.username_already_in_use":        "username",
	"user.email_already_in_use":           "primaryEmail",
	"user.phone_already_in_use":           "primaryPhone",
}

// formError puts a service error on form f: next to its field when the
// code or a guard issue names one, else above the form. It returns err
// itself for failures that are not the request's fault (a 500).
func formError(f *form, err error) error {
	var me *management.Error
	if !errors.As(err, &me) || me.Status >= http.StatusInternalServerError {
		return err
	}
	if field, ok := fieldOf[me.Code]; ok {
		f.fail(field, sentence(me.Message))
		return nil
	}
	if me.Code == "guard.invalid_input" && me.Data != nil {
		// The issues' type is the guard's own; read them as JSON.
		var d struct {
			Issues []struct {
				Path    []any  `json:"path"`
				Message string `json:"message"`
			} `json:"issues"`
		}
		if b, jerr := json.Marshal(me.Data); jerr == nil && json.Unmarshal(b, &d) == nil && len(d.Issues) > 0 {
			for _, is := range d.Issues {
				field := ""
				if len(is.Path) > 0 {
					field, _ = is.Path[0].(string)
				}
				f.fail(field, issueText(field, is.Message))
			}
			return nil
		}
	}
	f.fail("", sentence(me.Message))
	return nil
}

// formatHelp says what a field must look like, for the guard's bare
// "Invalid" (Logto's wording, kept by the Management API).
var formatHelp = map[string]string{
	"username":     "Use letters, digits and _ only, not starting with a digit, like ada_lovelace.",
	"primaryEmail": "Enter an email address, like ada@example.com.",
	"primaryPhone": "Enter digits only, with the country code, like 4915112345678.",
	"avatar":       "Enter an absolute URL, like https://example.com/ada.png.",
}

// issueText is a guard issue written for the form's reader.
func issueText(field, msg string) string {
	if help, ok := formatHelp[field]; ok && strings.HasPrefix(msg, "Invalid") {
		return help
	}
	return sentence(msg)
}

// sentence ends msg with a full stop when it has no final punctuation.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" || strings.ContainsAny(msg[len(msg)-1:], ".!?") {
		return msg
	}
	return msg + "."
}

// likeSearch searches fields for q anywhere in them, case-insensitively
// (the Management API's default "like" mode with % around the text). The
// text is literal: its %, _ and \ are escaped.
func likeSearch(q string, fields ...string) store.Search {
	if q == "" {
		return store.Search{}
	}
	q = likeEscaper.Replace(q)
	return store.Search{Matches: []store.Match{{Fields: fields, Values: []string{"%" + q + "%"}, Mode: store.ModeLike}}}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// pager is page n of the console's lists.
func pager(n int) management.Pager { return management.Pager{Page: n, Size: pageSize, On: true} }

// all is an unpaginated list.
var all = management.Pager{}
