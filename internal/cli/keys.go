package cli

import (
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

const keysHelp = `Usage:
  gatehouse keys list                               list the token signing keys (Next, Current, Previous;
                                                    never their private parts)
  gatehouse keys rotate [--algorithm EC|RSA] [--grace DURATION]
                                                    make a new signing key (default EC); with --grace
                                                    (like 24h) it is published first as Next and signs
                                                    only after DURATION, so verifiers can fetch it
  gatehouse keys delete KEY-ID...                   delete Previous keys (tokens they signed stop
                                                    verifying once verifiers refresh their JWKS)
`

func (r *runner) keysList(args []string) int {
	c := r.flags("keys list", keysHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	keys, err := m.ListPrivateKeys(r.ctx)
	if err != nil {
		return r.fail(err)
	}
	return r.keysOut(keys)
}

func (r *runner) keysRotate(args []string) int {
	c := r.flags("keys rotate", keysHelp)
	alg := c.fs.String("algorithm", "", "")
	grace := c.fs.Duration("grace", 0, "")
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	in := client.RotateKeys{SigningKeyAlgorithm: strings.ToUpper(*alg)}
	if in.SigningKeyAlgorithm != "" && in.SigningKeyAlgorithm != "EC" && in.SigningKeyAlgorithm != "RSA" {
		return r.usage(c, "--algorithm is EC or RSA, not %q", *alg)
	}
	if *grace < 0 || *grace%time.Second != 0 {
		return r.usage(c, "--grace is a whole number of seconds or more, like 90s or 24h, not %s", *grace)
	}
	in.RotationGracePeriod = int(*grace / time.Second)
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	keys, err := m.RotatePrivateKeys(r.ctx, in)
	if err != nil {
		return r.fail(err)
	}
	return r.keysOut(keys)
}

func (r *runner) keysDelete(args []string) int {
	return r.deleteEach(r.flags("keys delete", keysHelp), args, "key", byID,
		func(m *client.ManagementAPI, id string) error { return m.DeletePrivateKey(r.ctx, id) })
}

func (r *runner) keysOut(keys []client.SigningKey) int {
	if keys == nil {
		keys = []client.SigningKey{}
	}
	return output(r, keys, []string{"ID", "STATUS", "ALGORITHM", "CREATED", "EFFECTIVE"}, func(k client.SigningKey) []string {
		return []string{k.ID, k.Status, k.SigningKeyAlgorithm, date(k.CreatedAt * 1000), date(k.EffectiveAt)}
	})
}
