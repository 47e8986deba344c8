package delivery

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/telegram/telegramtest"
)

// TestAcceptanceKillOneReplica is two replicas sharing a broadcast: one is
// a child process (TestCrashHelperProcess, as in the crash test) killed
// with SIGKILL in the middle, the other runs on in this process. The
// survivor reclaims the dead replica's claims once their lease ends and
// finishes the broadcast: every reader gets the story, twice only for
// sends in flight at the kill.
func TestAcceptanceKillOneReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("scaled acceptance test")
	}
	killOneReplica(t, 1000, 100)
}

// BenchmarkKillOneReplica is the replica kill at full size:
// REPLICAS_BENCH_N readers (3,000) at REPLICAS_BENCH_RATE (30/s).
//
//	go test ./internal/delivery -run '^$' -bench KillOneReplica -benchtime 1x
func BenchmarkKillOneReplica(b *testing.B) {
	n := envInt(b, "REPLICAS_BENCH_N", 3000)
	rate := float64(envInt(b, "REPLICAS_BENCH_RATE", 30))
	for range b.N {
		killOneReplica(b, n, rate)
	}
}

// killOneReplica runs one story to n readers at rate through two
// replicas, SIGKILLs the child one after a quarter, and checks the
// survivor finishes it.
func killOneReplica(t testing.TB, n int, rate float64) {
	t.Helper()
	rs := redistest.Start(t)
	st := newStore(rs.Client())
	srv, tg := newFakeTelegram(t, telegramtest.Options{GlobalRate: rate, GlobalBurst: 10, ChatInterval: time.Second})
	cfg := crashConfig(rate)
	cfg.Logger = testLogger(t)
	survivorSent := &sendCount{}
	cfg.Observer = survivorSent
	e, err := New(cfg, st, queueOf(st), tg, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	ids := seedChats(t, st, 1, n, news.Ukrainian, false, "war")
	mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))

	child := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	child.Env = append(os.Environ(), crashHelperEnv+"=1", crashRedisEnv+"="+rs.Addr(),
		crashAPIEnv+"="+srv.URL(), crashTokenEnv+"="+srv.Token(), crashRateEnv+"="+strconv.FormatFloat(rate, 'f', -1, 64))
	logf, err := os.Create(filepath.Join(t.TempDir(), "replica.log"))
	if err != nil {
		t.Fatal(err)
	}
	child.Stdout, child.Stderr = logf, logf
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait(); logf.Close() })
	runEngine(t, e)

	// Kill the child once a quarter is out, at a random moment after.
	waitFor(t, 30*time.Second+time.Duration(float64(n)/rate*float64(time.Second)), "a quarter of the broadcast", func() bool { return srv.Stats().Delivered >= n/4 })
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	child.Wait()
	atKill, survivorAtKill := srv.Stats().Delivered, survivorSent.n.Load()

	s := waitDrained(t, e, 60*time.Second+time.Duration(float64(n)/rate*float64(time.Second)))
	r := tally(srv, ids, "[uk/1]")
	dups := checkInFlightDuplicates(t, srv, ids, "[uk/1]", []window{{killedAt.Add(-time.Second), killedAt.Add(inFlightLag)}})
	t.Logf("kill -9 of one of two replicas after %d of %d sent (the killed one sent about %d): the survivor sent %d more; "+
		"lost %d, duplicates %d, claims reclaimed %d, 429s %d; drained %v after the kill",
		atKill, n, int64(atKill)-survivorAtKill, survivorSent.n.Load()-survivorAtKill,
		r.lost, dups, s.Reclaimed, srv.Stats().TooManyRequests, time.Since(killedAt).Round(100*time.Millisecond))
	if r.lost != 0 || r.extra != 0 {
		t.Errorf("lost %d, extra %d; want none", r.lost, r.extra)
	}
	if int64(atKill)-survivorAtKill <= 0 {
		t.Error("the killed replica sent nothing before the kill")
	}
	if dups > cfg.Workers {
		t.Errorf("%d duplicates, more than the %d sends the killed replica can have in flight", dups, cfg.Workers)
	}
	if srv.Stats().TooManyRequests != 0 {
		t.Errorf("%d 429 answers, want 0", srv.Stats().TooManyRequests)
	}
}
