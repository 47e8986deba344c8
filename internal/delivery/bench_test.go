package delivery

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/telegram/telegramtest"
)

// BenchmarkDelivery runs the real engine against the fake Bot API (which
// enforces the global limit and 1 message/s per chat) and a real Redis,
// and reports the figures of docs/benchmarks.md. The defaults are the
// issue's acceptance run: 10,000 subscribers at 30/s, about six minutes:
//
//	go test ./internal/delivery -run '^$' -bench Delivery -benchtime 1x -timeout 30m
//
// DELIVERY_BENCH_N, DELIVERY_BENCH_RATE and DELIVERY_BENCH_PAID=1 (paid
// broadcast: 30/s free plus the rest paid, up to RATE) change the run.
func BenchmarkDelivery(b *testing.B) {
	n := envInt(b, "DELIVERY_BENCH_N", 10000)
	rate := float64(envInt(b, "DELIVERY_BENCH_RATE", 30))
	paid := os.Getenv("DELIVERY_BENCH_PAID") == "1"
	for range b.N {
		benchDelivery(b, n, rate, paid)
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func benchDelivery(b *testing.B, n int, rate float64, paid bool) {
	cfg := Config{
		Rate:         rate,
		ChatInterval: time.Second,
		Lease:        30 * time.Second,
		Logger:       testLogger(b),
	}
	opts := telegramtest.Options{GlobalRate: rate, ChatInterval: time.Second}
	if paid {
		cfg.Rate, cfg.PaidBroadcast, cfg.PaidRate = 30, true, rate
		opts.GlobalRate, opts.PaidRate = 30, rate-30
	}
	env := newAcceptanceEnv(b, cfg, opts)
	ctx := context.Background()
	base := redisMemory(b, env.rdb)
	ids := seedChats(b, env.st, 1, n, news.Ukrainian, false, "war")
	seeded := redisMemory(b, env.rdb)
	a := article(news.Ukrainian, 1, false, "war")
	a.Published = time.Now()
	if got := mustAnnounce(b, env.e, a); got != n {
		b.Fatalf("recipients = %d, want %d", got, n)
	}
	queued := redisMemory(b, env.rdb)
	b.ResetTimer()
	stop := runEngine(b, env.e)
	waitDrained(b, env.e, time.Duration(float64(n)/rate*float64(time.Second))*2+time.Minute)
	b.StopTimer()
	stop()
	done := redisMemory(b, env.rdb)

	r := tally(env.srv, ids, "[uk/1]")
	st := env.srv.Stats()
	s, err := env.e.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n), "recipients")
	b.ReportMetric(r.rate(), "msg/s")
	b.ReportMetric(r.rate()/rate, "ratio")
	b.ReportMetric(float64(st.TooManyRequests), "429s")
	b.ReportMetric(float64(r.duplicates), "duplicates")
	b.ReportMetric(float64(r.lost), "lost")
	b.ReportMetric(env.lat.quantile(0.5).Seconds(), "p50-s")
	b.ReportMetric(env.lat.quantile(0.99).Seconds(), "p99-s")
	b.ReportMetric(float64(seeded-base)/float64(n), "store-B/sub")
	b.ReportMetric(float64(queued-seeded)/float64(n), "queue-B/sub")
	b.ReportMetric(float64(done-seeded)/float64(n), "ledger-B/sub")
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-MiB")
	b.Logf("%d recipients at %.0f/s (paid %v): achieved %.2f/s (ratio %.3f), 429s %d, duplicates %d, lost %d, p50 %v, p99 %v, "+
		"Redis bytes per subscriber: store %.0f, queued %.0f, after delivery %.0f; peak RSS %.0f MiB; messages %d, late slots %d",
		n, rate, paid, r.rate(), r.rate()/rate, st.TooManyRequests, r.duplicates, r.lost,
		env.lat.quantile(0.5).Round(time.Millisecond), env.lat.quantile(0.99).Round(time.Millisecond),
		float64(seeded-base)/float64(n), float64(queued-seeded)/float64(n), float64(done-seeded)/float64(n),
		float64(peakRSS(b))/(1<<20), s.Messages, late(env.e))
	if r.lost != 0 || r.duplicates != 0 {
		b.Errorf("lost %d, duplicates %d", r.lost, r.duplicates)
	}
}

// redisMemory returns Redis's used_memory.
func redisMemory(b *testing.B, rdb redis.UniversalClient) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}

// peakRSS is this process's peak resident set (VmHWM), in bytes: the
// engine, the fake Bot API and the test harness together.
func peakRSS(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
