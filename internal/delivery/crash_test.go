package delivery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

// The crash test kills the sending process with SIGKILL at random moments.
// The sending process is this test binary run again with
// crashHelperEnv set: TestCrashHelperProcess then runs an engine against
// the parent's Redis and fake Bot API until it is killed.
const (
	crashHelperEnv = "NEWSBOT_DELIVERY_CRASH_HELPER"
	crashRedisEnv  = "NEWSBOT_DELIVERY_CRASH_REDIS"
	crashAPIEnv    = "NEWSBOT_DELIVERY_CRASH_API"
	crashTokenEnv  = "NEWSBOT_DELIVERY_CRASH_TOKEN"
	crashRateEnv   = "NEWSBOT_DELIVERY_CRASH_RATE"
)

// inFlightLag is how long after a kill the fake may still record a request
// the killed process wrote before it died.
const inFlightLag = 50 * time.Millisecond

func crashConfig(rate float64) Config {
	return Config{
		Rate:         rate,
		ChatInterval: time.Second,
		Workers:      8,
		Lease:        3 * time.Second,
		Backoff:      50 * time.Millisecond,
		PollInterval: 50 * time.Millisecond,
	}
}

// TestCrashHelperProcess is the sending process of TestAcceptanceKillDashNine.
// It does nothing in a normal test run.
func TestCrashHelperProcess(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("helper process of TestAcceptanceKillDashNine")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: os.Getenv(crashRedisEnv)})
	defer rdb.Close()
	tg, err := telegram.New(ctx, telegram.Config{Token: os.Getenv(crashTokenEnv), APIURL: os.Getenv(crashAPIEnv)})
	if err != nil {
		t.Fatal(err)
	}
	rate, err := strconv.ParseFloat(os.Getenv(crashRateEnv), 64)
	if err != nil {
		t.Fatal(err)
	}
	cfg := crashConfig(rate)
	cfg.Logger = testLogger(t)
	e, err := New(cfg, newStore(rdb), queueOn(rdb), tg, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAcceptanceKillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("scaled acceptance test")
	}
	const (
		n     = 5000
		rate  = 500.0
		kills = 6
	)
	rs := redistest.Start(t)
	st := newStore(rs.Client())
	srv, _ := newFakeTelegram(t, telegramtest.Options{GlobalRate: rate, GlobalBurst: 10, ChatInterval: time.Second})
	// The parent's engine only announces and reads stats; it never runs.
	e, err := New(crashConfig(rate), st, queueOf(st), &fakeSender{}, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	ids := seedChats(t, st, 1, n, news.Ukrainian, false, "war")
	mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))

	logDir := t.TempDir()
	start := func(i int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashHelperEnv+"=1", crashRedisEnv+"="+rs.Addr(),
			crashAPIEnv+"="+srv.URL(), crashTokenEnv+"="+srv.Token(), crashRateEnv+"="+strconv.FormatFloat(rate, 'f', -1, 64))
		logf, err := os.Create(filepath.Join(logDir, fmt.Sprintf("sender-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
		return cmd
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var killedAt []time.Time
	for i := range kills {
		cmd := start(i)
		// Kill once the process is sending, at a random moment.
		before := srv.Stats().Delivered
		waitFor(t, 30*time.Second, "the sender to start sending", func() bool { return srv.Stats().Delivered > before })
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killedAt = append(killedAt, time.Now())
		cmd.Wait()
		t.Logf("kill %d: %d messages delivered so far", i+1, srv.Stats().Delivered)
		if srv.Stats().Delivered >= n {
			t.Logf("the broadcast ended before kill %d", i+1)
			break
		}
	}
	if len(killedAt) < 5 {
		t.Errorf("only %d kills during the broadcast, want ≥ 5 (lower the rate)", len(killedAt))
	}
	final := start(kills)
	s := waitDrained(t, e, 90*time.Second)
	final.Process.Signal(syscall.SIGTERM)
	final.Wait()

	r := tally(srv, ids, "[uk/1]")
	t.Logf("%d kills: %d recipients, lost %d, duplicates %d (target 0), claims reclaimed %d, 429s %d",
		len(killedAt), n, r.lost, r.duplicates, s.Reclaimed, srv.Stats().TooManyRequests)
	if r.lost != 0 {
		t.Errorf("%d recipients never got the article", r.lost)
	}
	// Any duplicate must be a send that was in flight at a kill: its first
	// copy was delivered just before one, and its claim was then reclaimed.
	for _, id := range ids {
		sent := srv.SentTo(id)
		if len(sent) < 2 {
			continue
		}
		first := sent[0].At
		inFlight := false
		for _, k := range killedAt {
			// killedAt is read after the signal is sent; a request the
			// killed process had already written is recorded by the fake
			// as it reads it, which can be a moment after that.
			if first.Before(k.Add(inFlightLag)) && k.Sub(first) < time.Second {
				inFlight = true
			}
		}
		if !inFlight {
			t.Errorf("chat %d got %d copies; the first at %v was not in flight at any kill (%v)", id, len(sent), first, killedAt)
		}
	}
	if r.duplicates > len(killedAt)*crashConfig(rate).Workers {
		t.Errorf("%d duplicates, more than the sends that can be in flight at %d kills", r.duplicates, len(killedAt))
	}
}
