package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "3e40935abc"}, {Key: "vcs.time", Value: "2026-12-04T18:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	in := fromBuildInfo(bi)
	if in != (Info{Version: "v1.4.0", Commit: "3e40935abc-dirty", Time: "2026-12-04T18:00:00Z", GoVersion: "go1.26.8"}) {
		t.Fatalf("%+v", in)
	}
	if got := in.String(); got != "gatehouse v1.4.0 (commit 3e40935abc-dirty, 2026-12-04T18:00:00Z, go1.26.8)" {
		t.Fatal(got)
	}
	in = fromBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8"})
	if in.Version != "(devel)" || in.Commit != "unknown" || !strings.HasSuffix(in.String(), "go1.26.8)") {
		t.Fatalf("%+v", in)
	}
}

func TestGet(t *testing.T) {
	if in := Get(); in.GoVersion == "" || in.Version == "" {
		t.Fatalf("%+v", in)
	}
}
