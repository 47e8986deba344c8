package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/store"
	"newsbot/internal/store/embedded"
)

// runningBotStore starts the embedded store on dir as a running bot does
// (it holds DATA_DIR) and returns a store client of it.
func runningBotStore(t *testing.T, dir string) (*embedded.Server, *store.Store) {
	t.Helper()
	srv, err := embedded.Start(context.Background(), embedded.Options{DataDir: dir, SaveEvery: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rdb, err := store.Open(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return srv, store.New(rdb, store.Options{})
}

// Import and export against the DATA_DIR of a running bot go through the
// bot's store: the import is live at once and kept, the export is live.
func TestImportExportWithARunningBot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, live := runningBotStore(t, dir)
	if _, err := live.UpdateChat(ctx, 7, func(c *news.Chat, _ bool) error {
		c.Lang, c.Tags = news.English, []string{"war"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATA_DIR": dir, "LOG_LEVEL": "error"}
	getenv := func(k string) string { return env[k] }

	// Export: the chat written a moment ago, though no snapshot was saved.
	var out, errs bytes.Buffer
	if code := Run(ctx, []string{"export"}, getenv, &out, &errs); code != 0 {
		t.Fatalf("export exited %d: %s", code, errs.String())
	}
	b, err := store.ReadBackup(&out)
	if err != nil || len(b.Chats) != 1 || b.Chats[0].ID != 7 {
		t.Fatalf("export of a running bot = %+v, %v, want chat 7", b, err)
	}

	backup := store.NewBackup(time.Now())
	backup.Chats = []news.Chat{
		{ID: 1, Lang: news.Ukrainian, Tags: []string{"sud"}},
		{ID: 2, Lang: news.Ukrainian, Tags: []string{"sud"}, Breaking: true},
	}
	file := filepath.Join(t.TempDir(), "backup.json")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := backup.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out.Reset()
	if code := Run(ctx, []string{"import", file}, getenv, &out, &errs); code != 0 || !strings.Contains(out.String(), "Imported 2 chats.") {
		t.Fatalf("import exited %d: %q %s", code, out.String(), errs.String())
	}
	ids, err := live.Subscribers(ctx, news.Ukrainian, "sud")
	if err != nil || len(ids) != 2 {
		t.Errorf("the running bot's sud subscribers after the import = %v, %v, want 2", ids, err)
	}
	// The bot's own save does not undo the import, nor does a restart.
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	_, again := runningBotStore(t, dir)
	if ids, _ := again.Subscribers(ctx, news.Ukrainian, "sud"); len(ids) != 2 {
		t.Errorf("sud subscribers after the bot restarted = %v, want 2", ids)
	}
}

// A second bot on the same DATA_DIR refuses to start, before any network
// call, and says what to do.
func TestSecondBotOnADataDirRefuses(t *testing.T) {
	dir := t.TempDir()
	runningBotStore(t, dir)
	env := map[string]string{"DATA_DIR": dir, "TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": "http://127.0.0.1:1", "LOG_LEVEL": "error"}
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := Run(ctx, nil, func(k string) string { return env[k] }, &out, &errs)
	if code == 0 || !strings.Contains(errs.String(), "another newsbot is running on DATA_DIR") || !strings.Contains(errs.String(), "stop it first") {
		t.Errorf("second bot: exit %d, %q", code, errs.String())
	}
}
