package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/client"
)

const usersHelp = `Usage:
  gatehouse users list                              list the users (Gatehouse signs no user in: the
                                                    list holds the users made through the API)
  gatehouse users show ID                           show a user and its roles
  gatehouse users create [--username NAME] [--name TEXT] [--email ADDRESS] [--phone NUMBER]
                         [--custom-data FILE|JSON]
                                                    create a user (no password: Gatehouse keeps none)
  gatehouse users update ID [--username NAME] [--name TEXT] [--email ADDRESS] [--phone NUMBER]
                            [--custom-data FILE|JSON]
                                                    change a user; an empty --username, --email or
                                                    --phone clears it, --custom-data replaces it
  gatehouse users delete ID...                      delete users (their roles go too)

--custom-data is a JSON object, or a file holding one (- : standard input).
`

func (r *runner) usersList(args []string) int {
	c := r.flags("users list", usersHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	users, err := collect(m.AllUsers(r.ctx, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	return output(r, users, []string{"ID", "USERNAME", "EMAIL", "NAME", "CREATED"}, func(u client.User) []string {
		return []string{u.ID, u.Username, u.PrimaryEmail, u.Name, date(u.CreatedAt)}
	})
}

func (r *runner) usersShow(args []string) int {
	c := r.flags("users show", usersHelp)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	u, err := m.GetUser(r.ctx, pos[0])
	if err != nil {
		return r.fail(fmt.Errorf("user %s: %w", pos[0], err))
	}
	roles, err := collect(m.AllUserRoles(r.ctx, u.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(struct {
			*client.User
			Roles []client.Role `json:"roles"`
		}{u, roles})
	}
	names := make([]string, 0, len(roles))
	for _, x := range roles {
		names = append(names, x.Name)
	}
	slices.Sort(names)
	return r.fields([][2]string{{"ID", u.ID}, {"USERNAME", u.Username}, {"EMAIL", u.PrimaryEmail}, {"PHONE", u.PrimaryPhone},
		{"NAME", u.Name}, {"CREATED", date(u.CreatedAt)}, {"ROLES", strings.Join(names, " ")}})
}

// userFlags adds the fields of a user to c; the returned function reads
// --custom-data once the flags are parsed (an exit code, or -1 to go on).
func (r *runner) userFlags(c *command, in *client.UserWrite) func() int {
	optString(c.fs, "username", &in.Username)
	optString(c.fs, "name", &in.Name)
	optString(c.fs, "email", &in.PrimaryEmail)
	optString(c.fs, "phone", &in.PrimaryPhone)
	var custom *string
	optString(c.fs, "custom-data", &custom)
	return func() int {
		if custom == nil {
			return -1
		}
		data, err := r.jsonObject(*custom)
		if err != nil {
			return r.usage(c, "--custom-data: %v", err)
		}
		in.CustomData = data
		return -1
	}
}

// jsonObject reads a JSON object given inline (an argument starting with
// { or [, so that an inline array is refused as such), in a file, or on
// standard input ("-").
func (r *runner) jsonObject(arg string) (map[string]any, error) {
	var b []byte
	var err error
	switch {
	case strings.HasPrefix(strings.TrimSpace(arg), "{"), strings.HasPrefix(strings.TrimSpace(arg), "["):
		b = []byte(arg)
	case arg == "-":
		b, err = io.ReadAll(io.LimitReader(r.stdin, 1<<20))
	default:
		b, err = os.ReadFile(arg)
	}
	if err != nil {
		return nil, err
	}
	var out map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil || out == nil {
		return nil, fmt.Errorf("want a JSON object")
	}
	return out, nil
}

func (r *runner) usersCreate(args []string) int {
	c := r.flags("users create", usersHelp)
	var in client.UserWrite
	custom := r.userFlags(c, &in)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	if code := custom(); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	u, err := m.CreateUser(r.ctx, in)
	if err != nil {
		return r.fail(err)
	}
	return r.userOut(u)
}

func (r *runner) userOut(u *client.User) int {
	if r.structured() {
		return r.printData(u)
	}
	return r.table([]string{"ID", "USERNAME", "EMAIL", "PHONE", "NAME"}, [][]string{{u.ID, u.Username, u.PrimaryEmail, u.PrimaryPhone, u.Name}})
}

func (r *runner) usersUpdate(args []string) int {
	c := r.flags("users update", usersHelp)
	var in client.UserWrite
	custom := r.userFlags(c, &in)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if code := custom(); code >= 0 {
		return code
	}
	if in.Username == nil && in.Name == nil && in.PrimaryEmail == nil && in.PrimaryPhone == nil && in.CustomData == nil {
		return r.usage(c, "nothing to change: give --username, --name, --email, --phone or --custom-data")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	u, err := m.UpdateUser(r.ctx, pos[0], in)
	if err != nil {
		return r.fail(fmt.Errorf("user %s: %w", pos[0], err))
	}
	return r.userOut(u)
}

func (r *runner) usersDelete(args []string) int {
	return r.deleteEach(r.flags("users delete", usersHelp), args, "user", byID,
		func(m *client.ManagementAPI, id string) error { return m.DeleteUser(r.ctx, id) })
}
