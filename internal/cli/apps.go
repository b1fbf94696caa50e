package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

const appsHelp = `Usage:
  gatehouse apps list                               list the applications
  gatehouse apps show ID                            show an application and its roles
  gatehouse apps create --name NAME [--description TEXT]
                                                    create an M2M application; prints its id and
                                                    secret (--json: the application plus "secret",
                                                    the value of its Default secret)
  gatehouse apps update ID [--name NAME] [--description TEXT]
                                                    rename an application or change its description
  gatehouse apps delete ID...                       delete applications (their secrets and roles go too)
  gatehouse apps secrets ID                         list an application's secrets, with their values
  gatehouse apps secrets ID --add NAME [--expires DURATION]
                                                    add a secret (DURATION like 720h; default: never expires)
  gatehouse apps secrets ID --delete NAME           delete a secret (it stops working at once)
  gatehouse apps auth ID --jwks FILE | --jwks-uri URL | --secret
                                                    authenticate with private_key_jwt, with the public
                                                    keys of a JWK Set file or URL; or with secrets again
  gatehouse apps federated ID                       list an application's federated credentials
  gatehouse apps federated ID --add NAME --issuer URL --subject SUB --audience AUD...
      [--claim NAME=VALUE...] [--jwks-uri URL]      trust tokens of an external issuer (a Kubernetes
                                                    cluster, GitHub Actions); SUB may hold *
  gatehouse apps federated ID --delete CREDENTIAL_ID
                                                    remove a federated credential
`

func (r *runner) appsList(args []string) int {
	c := r.flags("apps list", appsHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	apps, err := collect(m.AllApplications(r.ctx, client.ListApplicationsParams{}))
	if err != nil {
		return r.fail(err)
	}
	return output(r, apps, []string{"ID", "NAME", "TYPE", "CREATED", "DESCRIPTION"}, func(a client.Application) []string {
		return []string{a.ID, a.Name, a.Type, date(a.CreatedAt), a.Description}
	})
}

func (r *runner) appsShow(args []string) int {
	c := r.flags("apps show", appsHelp)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	app, err := m.GetApplication(r.ctx, pos[0])
	if err != nil {
		return r.fail(fmt.Errorf("application %s: %w", pos[0], err))
	}
	roles, err := collect(m.AllApplicationRoles(r.ctx, app.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(struct {
			*client.Application
			Roles []client.Role `json:"roles"`
		}{app, roles})
	}
	names := make([]string, 0, len(roles))
	for _, x := range roles {
		names = append(names, x.Name)
	}
	slices.Sort(names)
	return r.fields([][2]string{
		{"ID", app.ID}, {"NAME", app.Name}, {"TYPE", app.Type}, {"DESCRIPTION", app.Description},
		{"CREATED", date(app.CreatedAt)}, {"ROLES", strings.Join(names, " ")},
	})
}

func (r *runner) appsCreate(args []string) int {
	c := r.flags("apps create", appsHelp)
	name := c.fs.String("name", "", "")
	desc := c.fs.String("description", "", "")
	pos, code := r.parse(c, args, 0, 1)
	if code >= 0 {
		return code
	}
	if len(pos) == 1 && *name == "" {
		*name = pos[0] // "apps create NAME" reads naturally too
	}
	if *name == "" {
		return r.usage(c, "--name is needed")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	app, err := m.CreateApplication(r.ctx, client.ApplicationCreate{Name: *name, Description: *desc})
	if err != nil {
		return r.fail(err)
	}
	secrets, err := m.ListApplicationSecrets(r.ctx, app.ID)
	if err != nil {
		return r.fail(err)
	}
	secret := ""
	if len(secrets) > 0 {
		secret = secrets[0].Value
	}
	if r.structured() {
		return r.printData(struct {
			*client.Application
			Secret string `json:"secret"`
		}{app, secret})
	}
	return r.table([]string{"ID", "NAME", "SECRET"}, [][]string{{app.ID, app.Name, secret}})
}

func (r *runner) appsDelete(args []string) int {
	return r.deleteEach(r.flags("apps delete", appsHelp), args, "application", byID,
		func(m *client.ManagementAPI, id string) error { return m.DeleteApplication(r.ctx, id) })
}

func (r *runner) appsSecrets(args []string) int {
	c := r.flags("apps secrets", appsHelp)
	add := c.fs.String("add", "", "")
	del := c.fs.String("delete", "", "")
	expires := c.fs.Duration("expires", 0, "")
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if *add != "" && *del != "" {
		return r.usage(c, "--add and --delete do not go together")
	}
	if *expires < 0 || *expires > 0 && *add == "" {
		return r.usage(c, "--expires is a positive duration for --add")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	id := pos[0]
	switch {
	case *add != "":
		in := client.SecretCreate{Name: *add}
		if *expires > 0 {
			at := time.Now().Add(*expires).UnixMilli()
			in.ExpiresAt = &at
		}
		s, err := m.CreateApplicationSecret(r.ctx, id, in)
		if err != nil {
			return r.fail(err)
		}
		if r.structured() {
			return r.printData(s)
		}
		return r.secretsTable([]client.ApplicationSecret{*s})
	case *del != "":
		if err := m.DeleteApplicationSecret(r.ctx, id, *del); err != nil {
			return r.fail(err)
		}
		if r.structured() {
			return r.printData(map[string]string{"deleted": *del})
		}
		fmt.Fprintf(r.stdout, "deleted secret %s of application %s\n", *del, id)
		return ExitOK
	}
	secrets, err := m.ListApplicationSecrets(r.ctx, id)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		if secrets == nil {
			secrets = []client.ApplicationSecret{}
		}
		return r.printData(secrets)
	}
	return r.secretsTable(secrets)
}

func (r *runner) secretsTable(secrets []client.ApplicationSecret) int {
	rows := make([][]string, 0, len(secrets))
	for _, s := range secrets {
		exp := "never"
		if s.ExpiresAt != nil {
			exp = date(*s.ExpiresAt)
		}
		rows = append(rows, []string{s.Name, s.Value, date(s.CreatedAt), exp})
	}
	return r.table([]string{"NAME", "VALUE", "CREATED", "EXPIRES"}, rows)
}

func (r *runner) appsUpdate(args []string) int {
	c := r.flags("apps update", appsHelp)
	var in client.ApplicationUpdate
	optString(c.fs, "name", &in.Name)
	optString(c.fs, "description", &in.Description)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if in.Name == nil && in.Description == nil {
		return r.usage(c, "nothing to change: give --name or --description")
	}
	if in.Name != nil && *in.Name == "" {
		return r.usage(c, "--name cannot be empty")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	app, err := m.UpdateApplication(r.ctx, pos[0], in)
	if err != nil {
		return r.fail(fmt.Errorf("application %s: %w", pos[0], err))
	}
	if r.structured() {
		return r.printData(app)
	}
	return r.table([]string{"ID", "NAME", "DESCRIPTION"}, [][]string{{app.ID, app.Name, app.Description}})
}
