package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdminSettings(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("from a file!\n"), 0o600)
	for _, c := range []struct {
		name    string
		env     map[string]string
		user    string
		pw      string
		problem string
	}{
		{"unset", map[string]string{}, "", "", ""},
		{"both", map[string]string{"GATEHOUSE_ADMIN_USERNAME": "root", "GATEHOUSE_ADMIN_PASSWORD": "long enough"}, "root", "long enough", ""},
		{"file", map[string]string{"GATEHOUSE_ADMIN_USERNAME": "root", "GATEHOUSE_ADMIN_PASSWORD_FILE": pwFile}, "root", "from a file!", ""},
		{"no password", map[string]string{"GATEHOUSE_ADMIN_USERNAME": "root"}, "", "", "GATEHOUSE_ADMIN_PASSWORD is not"},
		{"no username", map[string]string{"GATEHOUSE_ADMIN_PASSWORD": "long enough"}, "", "", "GATEHOUSE_ADMIN_USERNAME is not"},
		{"short", map[string]string{"GATEHOUSE_ADMIN_USERNAME": "root", "GATEHOUSE_ADMIN_PASSWORD": "short"}, "", "", "8 to 1024 characters, got 5"},
		{"space", map[string]string{"GATEHOUSE_ADMIN_USERNAME": "ro ot", "GATEHOUSE_ADMIN_PASSWORD": "long enough"}, "", "", "without spaces"},
		{"both forms", map[string]string{"GATEHOUSE_ADMIN_USERNAME": "root", "GATEHOUSE_ADMIN_PASSWORD": "long enough", "GATEHOUSE_ADMIN_PASSWORD_FILE": pwFile}, "", "", "both set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(func(k string) string { return c.env[k] }, nil)
			if c.problem != "" {
				if err == nil || !strings.Contains(err.Error(), c.problem) {
					t.Fatalf("err = %v, want %q", err, c.problem)
				}
				return
			}
			if err != nil || cfg.AdminUsername != c.user || cfg.AdminPassword != c.pw {
				t.Fatalf("cfg %q %q, err %v", cfg.AdminUsername, cfg.AdminPassword, err)
			}
		})
	}
}
