package delivery

import (
	"os"
	"strconv"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram/telegramtest"
)

// strictBroadcast runs a broadcast of n readers at SEND_RATE rate against
// the strict fake (telegramtest.Strict) with round trips of rtt and
// returns the tally and the server's counters.
func strictBroadcast(t testing.TB, n int, rate float64, rtt time.Duration, during func(*acceptanceEnv)) (tallyResult, telegramtest.Stats, *acceptanceEnv) {
	t.Helper()
	cfg := acceptanceConfig(t, rate)
	cfg.Workers = 0 // in flight follows rate × round trip
	env := newAcceptanceEnv(t, cfg, telegramtest.Strict(rtt))
	ids := seedChats(t, env.st, 1, n, news.Ukrainian, false, "war")
	if got := mustAnnounce(t, env.e, article(news.Ukrainian, 1, false, "war")); got != n {
		t.Fatalf("recipients = %d, want %d", got, n)
	}
	runEngine(t, env.e)
	if during != nil {
		during(env)
	}
	waitDrained(t, env.e, 90*time.Second)
	return tally(env.srv, ids, "[uk/1]"), env.srv.Stats(), env
}

func TestAcceptanceStrictLimitAtFullRate(t *testing.T) {
	if testing.Short() {
		t.Skip("scaled acceptance test")
	}
	// Scaled for CI: 300 readers (10 s at 30/s) per round trip; the
	// 600-reader figures are BenchmarkStrictBroadcast's.
	for _, rtt := range []time.Duration{50 * time.Millisecond, 500 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			t.Parallel()
			r, st, env := strictBroadcast(t, 300, telegramtest.StrictLimit, rtt, nil)
			ratio := r.rate() / telegramtest.StrictLimit
			t.Logf("rtt %v: %.2f/s (ratio %.3f), 429s %d (global %d chat %d), inside retry_after %d, duplicates %d, lost %d, busiest second %d, mean send %v",
				rtt, r.rate(), ratio, st.TooManyRequests, st.FloodGlobal, st.FloodChat, st.InsideRetryAfter, r.duplicates, r.lost,
				telegramtest.MaxPerSecond(env.srv.Arrivals()), env.e.SendTime())
			if r.lost != 0 || r.duplicates != 0 || r.extra != 0 {
				t.Errorf("lost %d, duplicates %d, extra %d; want none", r.lost, r.duplicates, r.extra)
			}
			if st.TooManyRequests != 0 {
				t.Errorf("%d 429 answers, want 0", st.TooManyRequests)
			}
			if ratio < 0.97 {
				t.Errorf("achieved rate ratio %.3f, want ≥ 0.97", ratio)
			}
		})
	}
}

// BenchmarkStrictBroadcast drives the broadcast rows of docs/benchmarks.md
// (issue 10) against the strict fake: STRICT_BENCH_N readers (600) at
// SEND_RATE 30, for each round trip of 50, 200 and 500 ms. It reports the
// ratio to 30/s, the 429s and the busiest second the server saw.
func BenchmarkStrictBroadcast(b *testing.B) {
	n := 600
	if v, err := strconv.Atoi(os.Getenv("STRICT_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	for _, rtt := range []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond} {
		b.Run(rtt.String(), func(b *testing.B) {
			for range b.N {
				r, st, env := strictBroadcast(b, n, telegramtest.StrictLimit, rtt, nil)
				b.ReportMetric(r.rate()/telegramtest.StrictLimit, "ratio")
				b.ReportMetric(float64(st.TooManyRequests), "429s")
				b.ReportMetric(float64(st.InsideRetryAfter), "inside_retry_after")
				b.ReportMetric(float64(r.duplicates), "duplicates")
				b.ReportMetric(float64(telegramtest.MaxPerSecond(env.srv.Arrivals())), "busiest_second")
			}
		})
	}
}
