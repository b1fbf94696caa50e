package version

import (
	"fmt"
	"runtime/debug"
)

// Info describes the running binary.
type Info struct {
	Version   string // module version (v1.2.3), or "(devel)" for a build from a checkout
	Commit    string // VCS revision, with "-dirty" when built from modified files; "unknown" when not recorded
	Time      string // commit time (RFC 3339), "" when not recorded
	GoVersion string // the Go toolchain that built it
}

// Get returns the running binary's Info.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown", Commit: "unknown", GoVersion: "unknown"}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Version: bi.Main.Version, Commit: "unknown", GoVersion: bi.GoVersion}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && in.Commit != "unknown" {
		in.Commit += "-dirty"
	}
	return in
}

// String is the one line "gatehouse version" prints.
func (in Info) String() string {
	s := fmt.Sprintf("gatehouse %s (commit %s", in.Version, in.Commit)
	if in.Time != "" {
		s += ", " + in.Time
	}
	return s + ", " + in.GoVersion + ")"
}
