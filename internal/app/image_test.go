package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The image's health check runs a subcommand that exists, its working
// directory is its volume (so a relative DATA_DIR lands in it), and the
// build context leaves secrets and local state out.
func TestDockerImageShape(t *testing.T) {
	root := filepath.Join("..", "..")
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var healthcheck, workdir, volume string
	for _, line := range strings.Split(string(df), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "CMD ") && strings.Contains(line, "/newsbot"):
			healthcheck = line
		case strings.HasPrefix(line, "WORKDIR "):
			workdir = strings.TrimPrefix(line, "WORKDIR ") // the last one is the run stage's
		case strings.HasPrefix(line, "VOLUME "):
			volume = line
		}
	}
	if !strings.Contains(string(df), "HEALTHCHECK") || !strings.Contains(healthcheck, `"healthcheck"`) {
		t.Errorf("the Dockerfile has no HEALTHCHECK running newsbot healthcheck (found %q)", healthcheck)
	}
	if _, ok := commandUsage["healthcheck"]; !ok {
		t.Error("newsbot has no healthcheck subcommand")
	}
	if !strings.Contains(volume, `"`+workdir+`"`) {
		t.Errorf("WORKDIR %q is not the VOLUME (%s)", workdir, volume)
	}
	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".env", "data/", "bin/"} {
		if !strings.Contains("\n"+string(ignore)+"\n", "\n"+want+"\n") {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}
