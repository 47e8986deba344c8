package integrity_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsbot/internal/integrity"
	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	srv    *redistest.Server
	st     *store.Store
	path   string
	clock  *clock
	losses []integrity.Loss
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	return &fixture{
		srv:   srv,
		st:    store.New(srv.Client(), store.Options{Logger: quiet}),
		path:  filepath.Join(t.TempDir(), "store-identity.json"),
		clock: &clock{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)},
	}
}

// StoreLost makes the fixture the guards' integrity.Observer.
func (f *fixture) StoreLost(_ context.Context, l integrity.Loss) { f.losses = append(f.losses, l) }

// guard starts a guard as a process start would: from the file.
func (f *fixture) guard() *integrity.Guard {
	return integrity.New(f.st, integrity.Config{
		Path: f.path, Logger: quiet, Now: f.clock.now,
		Observer: f,
	})
}

func (f *fixture) check(t *testing.T, g *integrity.Guard) {
	t.Helper()
	if err := g.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestNoLossAcrossRestarts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	g := f.guard()
	f.check(t, g)
	if err := g.Announced(ctx, news.Ukrainian, 8060001); err != nil {
		t.Fatal(err)
	}
	f.check(t, g)
	f.check(t, f.guard()) // a restart with the same store and file
	if len(f.losses) != 0 {
		t.Fatalf("losses %v on an intact store", f.losses)
	}
	if _, ok := f.guard().LastLoss(); ok {
		t.Error("LastLoss reports a loss on an intact store")
	}
	if f.guard().Hold(news.Ukrainian, 8060001) {
		t.Error("a story is held back without a loss")
	}
}

func TestEmptiedStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	g := f.guard()
	f.check(t, g)
	g.Announced(ctx, news.Ukrainian, 8060005)
	if err := f.srv.Client().FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	f.check(t, g) // noticed while running, from memory
	if len(f.losses) != 1 || !strings.Contains(f.losses[0].Reason, "emptied") {
		t.Fatalf("losses = %+v, want one 'emptied'", f.losses)
	}
	f.check(t, g)
	if len(f.losses) != 1 {
		t.Errorf("the same loss was reported %d times", len(f.losses))
	}
	for _, tt := range []struct {
		ed   news.Lang
		id   int64
		hold bool
	}{
		{news.Ukrainian, 8060005, true},
		{news.Ukrainian, 8059000, true},
		{news.Ukrainian, 8060006, false},
		{news.Russian, 8060000, false}, // nothing announced there
	} {
		if got := g.Hold(tt.ed, tt.id); got != tt.hold {
			t.Errorf("Hold(%s, %d) = %v, want %v", tt.ed, tt.id, got, tt.hold)
		}
	}
	f.clock.t = f.clock.t.Add(integrity.Window + time.Minute)
	if g.Hold(news.Ukrainian, 8060005) {
		t.Error("a story is still held back a day after the loss")
	}
}

// An emptied store is noticed at start too, from the file.
func TestEmptiedStoreAcrossARestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	g := f.guard()
	f.check(t, g)
	g.Announced(ctx, news.English, 8060100)
	f.srv.Client().FlushAll(ctx)
	g2 := f.guard()
	f.check(t, g2)
	if len(f.losses) != 1 {
		t.Fatalf("losses = %+v, want 1", f.losses)
	}
	if !g2.Hold(news.English, 8060100) {
		t.Error("an announced story is not held back after a restart on an emptied store")
	}
}

// A Redis restored from a snapshot taken before the last writes answers a
// lower counter.
func TestRestoredOlderSnapshot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rdb := f.srv.Client()
	g := f.guard()
	f.check(t, g)
	if err := rdb.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	snapshot := copyFile(t, filepath.Join(f.srv.Dir(), "dump.rdb"))
	g.Announced(ctx, news.Ukrainian, 8060200)
	f.check(t, g)
	f.srv.Stop()
	restoreFile(t, snapshot, filepath.Join(f.srv.Dir(), "dump.rdb"))
	f.srv.Restart()
	g2 := f.guard()
	f.check(t, g2)
	if len(f.losses) != 1 || !strings.Contains(f.losses[0].Reason, "older copy") {
		t.Fatalf("losses = %+v, want one 'older copy'", f.losses)
	}
	if !g2.Hold(news.Ukrainian, 8060200) {
		t.Error("a story announced after the snapshot is not held back")
	}
	if l, ok := g2.LastLoss(); !ok || l.At != f.clock.t {
		t.Errorf("LastLoss = %+v, %v", l, ok)
	}
}

func TestDifferentStore(t *testing.T) {
	f := newFixture(t)
	f.check(t, f.guard())
	other := newFixture(t)
	other.check(t, other.guard()) // another installation's store
	other.path = f.path           // this DATA_DIR, pointed at that Redis
	g := other.guard()
	other.check(t, g)
	if len(other.losses) != 1 || !strings.Contains(other.losses[0].Reason, "different") {
		t.Fatalf("losses = %+v, want one 'different'", other.losses)
	}
}

// A damaged file is ignored (the guard starts from the store) and replaced.
func TestDamagedFile(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(f.path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.check(t, f.guard())
	if len(f.losses) != 0 {
		t.Errorf("losses %v from a damaged file", f.losses)
	}
	f.check(t, f.guard())
	if len(f.losses) != 0 {
		t.Errorf("losses %v after the file was rewritten", f.losses)
	}
	if matches, _ := filepath.Glob(f.path + ".tmp-*"); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func copyFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func restoreFile(t *testing.T, b []byte, path string) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
