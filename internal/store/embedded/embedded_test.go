package embedded_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
	"newsbot/internal/store/embedded"
)

var quiet = slog.New(slog.DiscardHandler)

func start(t *testing.T, opts embedded.Options) *embedded.Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.SaveEvery == 0 {
		opts.SaveEvery = time.Hour
	}
	srv, err := embedded.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func client(t *testing.T, srv *embedded.Server) redis.UniversalClient {
	t.Helper()
	rdb, err := store.Open(context.Background(), srv.URL())
	if err != nil {
		t.Fatalf("store.Open(%s): %v", srv.URL(), err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// dump reads every key as a comparable description: type, value and
// remaining TTL rounded to the minute.
func dump(t *testing.T, rdb redis.UniversalClient) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range rdb.Keys(ctx, "*").Val() {
		typ := rdb.Type(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = rdb.Get(ctx, k).Val()
		case "hash":
			v = rdb.HGetAll(ctx, k).Val()
		case "set":
			m := rdb.SMembers(ctx, k).Val()
			slicesSort(m)
			v = m
		case "zset":
			v = rdb.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "list":
			v = rdb.LRange(ctx, k, 0, -1).Val()
		case "stream":
			v = rdb.XRange(ctx, k, "-", "+").Val()
		}
		ttl := rdb.PTTL(ctx, k).Val()
		if ttl > 0 {
			ttl = ttl.Round(time.Minute)
		}
		out[k] = typ + " " + fmtAny(v) + " ttl=" + ttl.String()
	}
	return out
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir})
	rdb := client(t, srv)

	// Every type the delivery and store packages may use, binary data and
	// expiring keys included.
	must(t, rdb.Set(ctx, "s", "plain", 0).Err())
	must(t, rdb.Set(ctx, "bin\xff\x00", "\x00\x01\xfe", 0).Err())
	must(t, rdb.Set(ctx, "ttl", "soon", 90*time.Minute).Err())
	must(t, rdb.Set(ctx, "gone", "x", 10*time.Minute).Err())
	must(t, rdb.HSet(ctx, "h", "f1", "v1", "f\xff", "Зеленський").Err())
	must(t, rdb.SAdd(ctx, "set", "a", "b", "-100").Err())
	must(t, rdb.ZAdd(ctx, "z",
		redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -3, Member: "b"},
		redis.Z{Score: 8055875, Member: "id"}, redis.Z{Score: 0.1, Member: "tenth"}).Err())
	must(t, rdb.ZAdd(ctx, "zinf", redis.Z{Score: inf(1), Member: "top"}, redis.Z{Score: inf(-1), Member: "bottom"}).Err())
	must(t, rdb.RPush(ctx, "list", "first", "second", "first").Err())
	must(t, rdb.Expire(ctx, "list", 3*time.Hour).Err())
	must(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "1-1", Values: []string{"k", "v"}}).Err())
	must(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "2-0", Values: []string{"a", "1", "b", "2"}}).Err())
	// A Lua script, as the delivery package may run, works on the server.
	must(t, rdb.Eval(ctx, `redis.call('HINCRBY', KEYS[1], 'n', 2); return 1`, []string{"h"}).Err())

	before := dump(t, rdb)
	delete(before, "gone")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Save(); err == nil {
		t.Error("Save after Close succeeded")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// Start again 20 minutes later: "gone" has expired, the other TTLs are
	// 20 minutes shorter.
	later := func() time.Time { return time.Now().Add(20 * time.Minute) }
	srv2 := start(t, embedded.Options{DataDir: dir, Now: later})
	after := dump(t, client(t, srv2))
	before["ttl"] = strings.Replace(before["ttl"], "ttl=1h30m0s", "ttl=1h10m0s", 1)
	before["list"] = strings.Replace(before["list"], "ttl=3h0m0s", "ttl=2h40m0s", 1)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("content after a restart (-want +got):\n%s", diff)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	info, err := os.Stat(srv2.Path())
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("state file mode = %v, want 0600", perm)
	}
}

func TestStateFileIsABackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir})
	st := store.New(client(t, srv), store.Options{Logger: quiet})
	chats := []news.Chat{
		{ID: -1001, Lang: news.English, Tags: []string{"war"}, Group: true, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{ID: 5, Lang: news.Ukrainian, Keywords: []string{"нато"}, Breaking: true, Created: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)},
	}
	for _, c := range chats {
		if _, err := st.UpdateChat(ctx, c.ID, func(dst *news.Chat, _ bool) error { *dst = c; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Save(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := store.ReadBackup(f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(chats, b.Chats); diff != "" {
		t.Errorf("chats in the state file (-want +got):\n%s", diff)
	}
	if b.State == nil || len(b.State.Keys) == 0 {
		t.Fatal("the state file has no raw state")
	}

	// The state file seeds a real import elsewhere (newsbot import).
	other := start(t, embedded.Options{DataDir: t.TempDir()})
	st2 := store.New(client(t, other), store.Options{Logger: quiet})
	if err := st2.Import(ctx, b); err != nil {
		t.Fatal(err)
	}
	subs, err := st2.Subscribers(ctx, news.English, "war")
	if err != nil || len(subs) != 1 || subs[0] != -1001 {
		t.Errorf("Subscribers after import = %v, %v", subs, err)
	}
}

func TestSeedFromPlainBackup(t *testing.T) {
	dir := t.TempDir()
	b := store.NewBackup(time.Now())
	b.Chats = []news.Chat{{ID: 3, Lang: news.Russian, Tags: []string{"sud"}}}
	writeBackup(t, filepath.Join(dir, embedded.StateFile), b)
	srv := start(t, embedded.Options{DataDir: dir})
	st := store.New(client(t, srv), store.Options{Logger: quiet})
	subs, err := st.Subscribers(context.Background(), news.Russian, "sud")
	if err != nil || len(subs) != 1 || subs[0] != 3 {
		t.Errorf("Subscribers after seeding = %v, %v", subs, err)
	}
}

func TestCorruptStateFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"not JSON", "{\"format\": \"newsbot-backup\", \"vers"},
		{"not a backup", `{"hello": "world"}`},
		{"unknown key type", `{"format":"newsbot-backup","version":1,"chats":[],"state":{"keys":[{"key":"a","type":"hll"}]}}`},
		{"bad score", `{"format":"newsbot-backup","version":1,"chats":[],"state":{"keys":[{"key":"z","type":"zset","zset":[{"member":"m","score":"lots"}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, embedded.StateFile)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
			srv, err := embedded.Start(context.Background(), embedded.Options{DataDir: dir, Logger: quiet, Now: func() time.Time { return now }})
			if err == nil {
				srv.Close()
				t.Fatal("Start with a corrupt state file succeeded")
			}
			aside := path + ".corrupt-20260301T123000Z"
			if !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), aside) {
				t.Errorf("error should say corrupt and name %s: %v", aside, err)
			}
			kept, rerr := os.ReadFile(aside)
			if rerr != nil || string(kept) != tt.content {
				t.Errorf("corrupt file not kept aside intact: %q, %v", kept, rerr)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state.json still there after being moved aside: %v", err)
			}
		})
	}
}

func TestNewerStateFileIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, embedded.StateFile)
	content := `{"format":"newsbot-backup","version":9,"chats":[]}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := embedded.Start(context.Background(), embedded.Options{DataDir: dir, Logger: quiet})
	if !errors.Is(err, store.ErrBackupVersion) {
		t.Fatalf("err = %v, want ErrBackupVersion", err)
	}
	if got, _ := os.ReadFile(path); string(got) != content {
		t.Errorf("state file changed: %q", got)
	}
}

func TestPeriodicSave(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir, SaveEvery: 10 * time.Millisecond})
	must(t, client(t, srv).Set(context.Background(), "periodic", "yes", 0).Err())
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(srv.Path())
		if strings.Contains(string(data), `"periodic"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key never reached the state file")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSaveSkipsUnchangedContent(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := start(t, embedded.Options{DataDir: dir, Now: func() time.Time { return clock }})
	must(t, client(t, srv).Set(context.Background(), "k", "v", 0).Err())
	must(t, srv.Save())
	first, err := os.ReadFile(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	must(t, srv.Save())
	second, err := os.ReadFile(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) {
		t.Error("an unchanged database was written again")
	}
	must(t, client(t, srv).Set(context.Background(), "k", "w", 0).Err())
	must(t, srv.Save())
	third, _ := os.ReadFile(srv.Path())
	if !strings.Contains(string(third), `"2026-03-01T13:00:00Z"`) {
		t.Errorf("changed content not saved with the new time:\n%s", third)
	}
}

func TestStartNeedsDataDir(t *testing.T) {
	if _, err := embedded.Start(context.Background(), embedded.Options{}); err == nil {
		t.Error("Start without DataDir succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, nil, 0o600))
	if _, err := embedded.Start(context.Background(), embedded.Options{DataDir: file, Logger: quiet}); err == nil {
		t.Error("Start with a file as DataDir succeeded")
	}
}

func TestAddrAndURL(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir})
	sock := filepath.Join(dir, embedded.SocketFile)
	if srv.Addr() != sock || !strings.HasPrefix(srv.URL(), "unix://:") || !strings.HasSuffix(srv.URL(), "@"+sock) {
		t.Errorf("Addr = %q, URL = %q, want the socket %s with a password", srv.Addr(), srv.URL(), sock)
	}
	info, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&os.ModeSocket == 0 || info.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want a socket with 0600", info.Mode())
	}
	live, err := embedded.LiveURL(dir)
	if err != nil || live != srv.URL() {
		t.Errorf("LiveURL = %q, %v, want %q", live, err, srv.URL())
	}
	if info, err := os.Stat(filepath.Join(dir, embedded.URLFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("store.url: %v, %v, want mode 0600", info, err)
	}
	// Without the password nothing is served.
	anon := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	defer anon.Close()
	if err := anon.Set(context.Background(), "k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("SET without the password: %v, want NOAUTH", err)
	}
	must(t, client(t, srv).Ping(context.Background()).Err())
}

// TestLongDataDirUsesLoopback: a DATA_DIR too long for a socket path gets
// a loopback port, never a wildcard address, with a password.
func TestLongDataDirUsesLoopback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	srv := start(t, embedded.Options{DataDir: dir})
	if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") || srv.URL() == "redis://"+srv.Addr() || !strings.HasPrefix(srv.URL(), "redis://:") {
		t.Errorf("Addr = %q, URL = %q, want 127.0.0.1 with a password", srv.Addr(), srv.URL())
	}
	anon := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer anon.Close()
	if err := anon.Get(context.Background(), "k").Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("GET without the password: %v, want NOAUTH", err)
	}
	must(t, client(t, srv).Set(context.Background(), "k", "v", 0).Err())
}

func TestKeysExpire(t *testing.T) {
	srv := start(t, embedded.Options{DataDir: t.TempDir()})
	rdb := client(t, srv)
	ctx := context.Background()
	must(t, rdb.Set(ctx, "short", "x", 200*time.Millisecond).Err())
	must(t, rdb.Set(ctx, "long", "x", time.Hour).Err())
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Exists(ctx, "short").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("a key with a 200ms TTL still exists after 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ttl := rdb.PTTL(ctx, "long").Val(); ttl <= 58*time.Minute || ttl > time.Hour {
		t.Errorf("TTL of the long key = %v", ttl)
	}
}
