package embedded_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/store/embedded"
)

// writeMix runs every kind of write the bot's packages use: plain
// commands, an optimistic transaction, a transaction whose WATCH fails,
// scripts (one reading TIME, which only replays right when journaled by
// its effects), relative and absolute expiry, and an increment of a key
// that expires.
func writeMix(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	must(t, rdb.Set(ctx, "s", "v", 0).Err())
	must(t, rdb.Set(ctx, "ttl", "x", time.Hour).Err())
	must(t, rdb.ExpireAt(ctx, "s", time.Now().Add(2*time.Hour)).Err())
	must(t, rdb.HSet(ctx, "h", "a", "1").Err())
	must(t, rdb.SAdd(ctx, "set", "m1", "m2").Err())
	must(t, rdb.ZAdd(ctx, "z", redis.Z{Score: 2, Member: "two"}).Err())
	must(t, rdb.RPush(ctx, "l", "1", "2").Err())
	must(t, rdb.Watch(ctx, func(tx *redis.Tx) error {
		n, _ := tx.Get(ctx, "counter").Int()
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "counter", n+5, 0)
			p.SRem(ctx, "set", "m1")
			p.HIncrBy(ctx, "h", "a", 2)
			return nil
		})
		return err
	}, "counter"))
	err := rdb.Watch(ctx, func(tx *redis.Tx) error {
		must(t, rdb.Set(ctx, "watched", "changed", 0).Err())
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "lost", "never", 0)
			return nil
		})
		return err
	}, "watched")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("the WATCHed transaction: %v, want TxFailedErr", err)
	}
	clock := redis.NewScript(`local t = redis.call('TIME'); redis.call('SET', KEYS[1], t[1] .. '.' .. t[2]); redis.call('HINCRBY', KEYS[2], 'n', 1); return 1`)
	for range 3 {
		must(t, clock.Run(ctx, rdb, []string{"when", "h"}).Err())
	}
	must(t, rdb.Eval(ctx, `redis.call('ZINCRBY', KEYS[1], 3, 'two'); redis.call('DEL', KEYS[2]); return 0`, []string{"z", "l"}).Err())
	// A script that fails half-way keeps its first write, as in Redis.
	if err := rdb.Eval(ctx, `redis.call('SET', 'half', '1'); redis.call('HSET', 's', 'f', 'v'); return 0`, nil).Err(); err == nil {
		t.Fatal("a script writing a hash into a string succeeded")
	}
	must(t, rdb.Set(ctx, "short", "10", 10*time.Minute).Err())
	must(t, rdb.Incr(ctx, "short").Err())
}

func TestJournalReplaysAfterACrash(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir})
	rdb := client(t, srv)
	writeMix(t, rdb)
	want := dump(t, rdb)
	srv.Crash()

	srv2 := start(t, embedded.Options{DataDir: dir})
	if diff := cmp.Diff(want, dump(t, client(t, srv2))); diff != "" {
		t.Errorf("content after a crash (-before +after):\n%s", diff)
	}
	// A snapshot, more writes, a crash: the snapshot plus the records after it.
	rdb2 := client(t, srv2)
	must(t, srv2.Save())
	must(t, rdb2.HIncrBy(context.Background(), "h", "a", 10).Err())
	must(t, rdb2.SAdd(context.Background(), "set", "m3").Err())
	want = dump(t, rdb2)
	srv2.Crash()
	srv3 := start(t, embedded.Options{DataDir: dir})
	if diff := cmp.Diff(want, dump(t, client(t, srv3))); diff != "" {
		t.Errorf("content after a save and a crash (-before +after):\n%s", diff)
	}
}

// TestExpiryReplaysOnItsClock: a key incremented before it expired is gone
// after a replay, as it was in the live server.
func TestExpiryReplaysOnItsClock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir})
	rdb := client(t, srv)
	must(t, rdb.Set(ctx, "k", "5", 200*time.Millisecond).Err())
	must(t, rdb.Incr(ctx, "k").Err())
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Exists(ctx, "k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("k did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	must(t, rdb.Incr(ctx, "k").Err()) // a new k, without a TTL
	srv.Crash()
	rdb2 := client(t, start(t, embedded.Options{DataDir: dir}))
	if v, ttl := rdb2.Get(ctx, "k").Val(), rdb2.PTTL(ctx, "k").Val(); v != "1" || ttl != -1 {
		t.Errorf("k after a replay = %q (pttl %v), want \"1\" without a TTL", v, ttl)
	}
}

// TestTornJournalTail: a power cut during a write leaves part of a record;
// the start cuts it off and keeps every whole record before it.
func TestTornJournalTail(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir})
	rdb := client(t, srv)
	for i := range 20 {
		must(t, rdb.RPush(ctx, "l", i).Err())
	}
	srv.Crash()
	segs, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	if len(segs) != 1 {
		t.Fatalf("journal segments = %v, want 1", segs)
	}
	info, err := os.Stat(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.Truncate(segs[0], info.Size()-5))
	rdb2 := client(t, start(t, embedded.Options{DataDir: dir}))
	if n := rdb2.LLen(ctx, "l").Val(); n != 19 {
		t.Errorf("list length after a torn last record = %d, want 19", n)
	}
	must(t, rdb2.RPush(ctx, "l", "after").Err())
}

func TestDataDirIsLocked(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, embedded.Options{DataDir: dir})
	_, err := embedded.Start(context.Background(), embedded.Options{DataDir: dir, Logger: quiet})
	if !errors.Is(err, embedded.ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second Start: %v, want ErrLocked naming the pid", err)
	}
	must(t, srv.Close())
	again := start(t, embedded.Options{DataDir: dir})
	must(t, again.Close())
}

func TestInterruptedSaveLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	stray := filepath.Join(dir, embedded.StateFile+".tmp-123456")
	must(t, os.WriteFile(stray, []byte("half a file"), 0o600))
	start(t, embedded.Options{DataDir: dir})
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file of an interrupted save still there: %v", err)
	}
}

func TestRefusedCommands(t *testing.T) {
	ctx := context.Background()
	rdb := client(t, start(t, embedded.Options{DataDir: t.TempDir()}))
	must(t, rdb.SAdd(ctx, "set", "a", "b").Err())
	for name, err := range map[string]error{
		"SPOP":          rdb.SPop(ctx, "set").Err(),
		"XADD *":        rdb.XAdd(ctx, &redis.XAddArgs{Stream: "st", Values: []string{"k", "v"}}).Err(),
		"SPOP in a Lua": rdb.Eval(ctx, `return redis.call('SPOP', KEYS[1])`, []string{"set"}).Err(),
		"BLPOP":         rdb.BLPop(ctx, time.Second, "l").Err(),
		"SELECT 1, SET": rdb.Do(ctx, "SELECT", "1").Err(),
		"EVAL in MULTI": txEval(ctx, rdb),
	} {
		if err == nil || !strings.Contains(err.Error(), "not supported") && !strings.Contains(err.Error(), "EXECABORT") {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
	if n := rdb.SCard(ctx, "set").Val(); n != 2 {
		t.Errorf("set has %d members after refused commands, want 2", n)
	}
}

func txEval(ctx context.Context, rdb redis.UniversalClient) error {
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "x", "1", 0)
		p.Eval(ctx, `return 1`, nil)
		return nil
	})
	if err == nil && rdb.Exists(ctx, "x").Val() == 1 {
		return nil
	}
	return err
}
