package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// export and import against a Redis that is down give up after --timeout
// with a clear error and exit 1, instead of waiting forever (a cron backup
// must report).
func TestExportAndImportGiveUpOnADownRedis(t *testing.T) {
	backup := filepath.Join(t.TempDir(), "backup.json")
	if err := os.WriteFile(backup, []byte(`{"format":"newsbot-backup","version":1,"chats":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REDIS_URL": "redis://" + freeAddr(t)}
	for _, args := range [][]string{{"export", "--timeout", "1s"}, {"import", "--timeout", "1s", backup}} {
		var out, errs bytes.Buffer
		done := make(chan int, 1)
		go func() { done <- Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errs) }()
		select {
		case code := <-done:
			if code != exitFailed {
				t.Errorf("%v: exit %d, want %d", args, code, exitFailed)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%v: still running after 20s with --timeout 1s", args)
		}
		if msg := errs.String(); !strings.Contains(msg, "did not answer within 1s") {
			t.Errorf("%v: stderr %q, want the timeout named", args, msg)
		}
		if strings.Contains(out.String(), "Imported") {
			t.Errorf("%v reported success: %q", args, out.String())
		}
	}
}
