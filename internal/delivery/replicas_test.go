package delivery

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

// The replica tests run several engines, each as one replica would (its
// own Redis client and Bot API client), on one highly available Redis: a
// Redis Cluster or a Sentinel set-up, with a master failed over in the
// middle of a broadcast. Issue 12's full-size figures are
// BenchmarkReplicasOnCluster's; docs/benchmarks.md has them.

// sendCount is an Observer counting one engine's deliveries.
type sendCount struct{ n atomic.Int64 }

func (c *sendCount) Delivered(time.Duration, time.Duration) { c.n.Add(1) }
func (c *sendCount) DeadLettered()                          {}

// replicaSet is k engines on one Redis and one fake Bot API.
type replicaSet struct {
	st      *store.Store // on the first replica's client: seeds chats, announces
	srv     *telegramtest.Server
	engines []*Engine
	counts  []*sendCount
}

// startReplicas builds k engines, each on a client from connect (closed
// when the test ends) and its own telegram client, and runs them.
func startReplicas(t testing.TB, k int, cfg Config, opts telegramtest.Options, connect func() redis.UniversalClient) *replicaSet {
	t.Helper()
	rs := &replicaSet{}
	rs.srv, _ = newFakeTelegram(t, opts)
	for i := range k {
		rdb := connect()
		t.Cleanup(func() { rdb.Close() })
		st := newStore(rdb)
		if i == 0 {
			rs.st = st
		}
		tg, err := telegram.New(context.Background(), telegram.Config{Token: rs.srv.Token(), APIURL: rs.srv.URL(), Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		cnt := &sendCount{}
		c.Observer = cnt
		e, err := New(c, st, queueOf(st), tg, textRenderer{})
		if err != nil {
			t.Fatal(err)
		}
		rs.engines, rs.counts = append(rs.engines, e), append(rs.counts, cnt)
	}
	return rs
}

func (rs *replicaSet) run(t testing.TB) {
	t.Helper()
	for _, e := range rs.engines {
		runEngine(t, e)
	}
}

// split is how many messages each replica delivered.
func (rs *replicaSet) split() []int64 {
	out := make([]int64, len(rs.counts))
	for i, c := range rs.counts {
		out[i] = c.n.Load()
	}
	return out
}

// connectURL connects as the app does, through store.NewClient and a
// REDIS_URL.
func connectURL(t testing.TB, redisURL string) func() redis.UniversalClient {
	return func() redis.UniversalClient {
		rdb, err := store.NewClient(redisURL)
		if err != nil {
			t.Fatal(err)
		}
		return rdb
	}
}

// clusterBroadcast runs one story to n readers through three replicas on
// a 3-master cluster at rate and returns the tally and the replica set.
func clusterBroadcast(t testing.TB, n int, rate float64) (tallyResult, *replicaSet) {
	t.Helper()
	c := redistest.StartCluster(t)
	rs := startReplicas(t, 3, acceptanceConfig(t, rate),
		telegramtest.Options{GlobalRate: rate, GlobalBurst: 5, ChatInterval: time.Second}, connectURL(t, c.URL()))
	ids := seedChats(t, rs.st, 1, n, news.Ukrainian, false, "war")
	if got := mustAnnounce(t, rs.engines[0], article(news.Ukrainian, 1, false, "war")); got != n {
		t.Fatalf("recipients = %d, want %d", got, n)
	}
	rs.run(t)
	waitDrained(t, rs.engines[1], time.Duration(float64(n)/rate*float64(time.Second))*2+30*time.Second)
	return tally(rs.srv, ids, "[uk/1]"), rs
}

func TestAcceptanceThreeReplicasOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("scaled acceptance test")
	}
	// Scaled for CI (about 10 s under -race on 2 shared cores); the
	// 3,000-reader figure is BenchmarkReplicasOnCluster's.
	const (
		n    = 600
		rate = 60.0
	)
	r, rs := clusterBroadcast(t, n, rate)
	st := rs.srv.Stats()
	ratio := r.rate() / rate
	t.Logf("3 replicas on a 3-master cluster, %d readers at %.0f/s: ratio %.3f, split %v, 429s %d, duplicates %d, lost %d",
		n, rate, ratio, rs.split(), st.TooManyRequests, r.duplicates, r.lost)
	if r.lost != 0 || r.duplicates != 0 || r.extra != 0 {
		t.Errorf("lost %d, duplicates %d, extra %d; want none", r.lost, r.duplicates, r.extra)
	}
	if st.TooManyRequests != 0 {
		t.Errorf("%d 429 answers, want 0", st.TooManyRequests)
	}
	if ratio < 0.95 || ratio > 1.02 {
		t.Errorf("achieved rate ratio %.3f, want in [0.95, 1.02]", ratio)
	}
	for i, k := range rs.split() {
		if k == 0 {
			t.Errorf("replica %d sent nothing (split %v)", i, rs.split())
		}
	}
}

// BenchmarkReplicasOnCluster is issue 12's first failover scenario at full
// size: three replicas on a 3-master cluster, REPLICAS_BENCH_N readers
// (3,000) at REPLICAS_BENCH_RATE (30/s, Telegram's limit), one story.
//
//	go test ./internal/delivery -run '^$' -bench ReplicasOnCluster -benchtime 1x
func BenchmarkReplicasOnCluster(b *testing.B) {
	n := envInt(b, "REPLICAS_BENCH_N", 3000)
	rate := float64(envInt(b, "REPLICAS_BENCH_RATE", 30))
	for range b.N {
		r, rs := clusterBroadcast(b, n, rate)
		st := rs.srv.Stats()
		b.ReportMetric(r.rate()/rate, "ratio")
		b.ReportMetric(float64(st.TooManyRequests), "429s")
		b.ReportMetric(float64(r.duplicates), "duplicates")
		b.ReportMetric(float64(r.lost), "lost")
		b.Logf("%d readers at %.0f/s: ratio %.3f, split %v, 429s %d, duplicates %d, lost %d",
			n, rate, r.rate()/rate, rs.split(), st.TooManyRequests, r.duplicates, r.lost)
	}
}

// window is a span of time in which sends were in flight at a fault.
type window struct{ from, to time.Time }

func (w window) String() string {
	return fmt.Sprintf("%s–%s", w.from.Format("15:04:05.000"), w.to.Format("15:04:05.000"))
}

// checkInFlightDuplicates fails the test for every recipient that got mark
// more than once unless its first copy was delivered inside one of the
// windows (a send in flight at a fault), and returns the duplicates.
func checkInFlightDuplicates(t testing.TB, srv *telegramtest.Server, ids []int64, mark string, ws []window) int {
	t.Helper()
	dups := 0
	for _, id := range ids {
		var sent []telegramtest.Sent
		for _, s := range srv.SentTo(id) {
			if strings.Contains(s.Text, mark) {
				sent = append(sent, s)
			}
		}
		if len(sent) < 2 {
			continue
		}
		dups += len(sent) - 1
		first := sent[0].At
		if !slices.ContainsFunc(ws, func(w window) bool { return !first.Before(w.from) && !first.After(w.to) }) {
			t.Errorf("chat %d got %d copies; the first at %s was not in flight at a fault (%v)",
				id, len(sent), first.Format("15:04:05.000"), ws)
		}
	}
	return dups
}

// longestGap is the longest pause between two deliveries of mark.
func longestGap(srv *telegramtest.Server, mark string) time.Duration {
	var at []time.Time
	for _, s := range srv.Sent() {
		if strings.Contains(s.Text, mark) {
			at = append(at, s.At)
		}
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	var gap time.Duration
	for i := 1; i < len(at); i++ {
		gap = max(gap, at[i].Sub(at[i-1]))
	}
	return gap
}

// failoverResult is what failoverBroadcast measured.
type failoverResult struct {
	from, to    string
	took, pause time.Duration
	before      int // delivered when the fault came
	ratio       float64
	split       []int64
	floods      int
	dups, lost  int
}

func (r failoverResult) String() string {
	return fmt.Sprintf("master %s → %s in %v after %d sent; longest pause in deliveries %v; ratio %.3f overall, split %v, 429s %d, duplicates %d, lost %d",
		r.from, r.to, r.took.Round(time.Millisecond), r.before, r.pause.Round(time.Millisecond),
		r.ratio, r.split, r.floods, r.dups, r.lost)
}

// report adds r to a benchmark's metrics.
func (r failoverResult) report(b *testing.B) {
	b.ReportMetric(r.took.Seconds(), "failover-s")
	b.ReportMetric(r.pause.Seconds(), "pause-s")
	b.ReportMetric(r.ratio, "ratio")
	b.ReportMetric(float64(r.floods), "429s")
	b.ReportMetric(float64(r.dups), "duplicates")
	b.ReportMetric(float64(r.lost), "lost")
	b.Log(r)
}

// failoverBroadcast runs one story to n readers at rate through the
// replicas of rs, calls fault once a third is delivered and checks that
// the broadcast completes: nobody lost, duplicates only among the sends in
// flight at the fault (first copy from a second before it until the new
// master serves).
func failoverBroadcast(t testing.TB, rs *replicaSet, n int, rate float64, fault func() (from, to string)) failoverResult {
	t.Helper()
	ids := seedChats(t, rs.st, 1, n, news.Ukrainian, false, "war")
	if got := mustAnnounce(t, rs.engines[0], article(news.Ukrainian, 1, false, "war")); got != n {
		t.Fatalf("recipients = %d, want %d", got, n)
	}
	rs.run(t)
	waitFor(t, 30*time.Second+time.Duration(float64(n)/rate*float64(time.Second)), "a third of the broadcast",
		func() bool { return rs.srv.Stats().Delivered >= n/3 })
	res := failoverResult{before: rs.srv.Stats().Delivered}
	at := time.Now()
	res.from, res.to = fault()
	res.took = time.Since(at)
	waitDrained(t, rs.engines[len(rs.engines)-1], 60*time.Second+time.Duration(float64(n)/rate*float64(time.Second)))
	r := tally(rs.srv, ids, "[uk/1]")
	res.dups = checkInFlightDuplicates(t, rs.srv, ids, "[uk/1]", []window{{at.Add(-time.Second), at.Add(res.took)}})
	res.pause, res.ratio, res.split = longestGap(rs.srv, "[uk/1]"), r.rate()/rate, rs.split()
	res.floods, res.lost = rs.srv.Stats().TooManyRequests, r.lost
	if r.lost != 0 || r.extra != 0 {
		t.Errorf("lost %d, extra %d; want none", r.lost, r.extra)
	}
	if after := rs.srv.Stats().Delivered - res.before; after < n/2 {
		t.Errorf("only %d messages after the failover", after)
	}
	return res
}

// clusterFaults are the two ways a cluster master goes: SIGKILL (the
// replica takes over after the node timeout, 1 s; writes not yet
// replicated are lost) and CLUSTER FAILOVER (the replica catches up, then
// takes over).
var clusterFaults = []struct {
	name  string
	fault func(t testing.TB, c *redistest.Cluster, key string) (from, to string)
}{
	{"kill -9", func(t testing.TB, c *redistest.Cluster, key string) (string, string) { return c.KillMasterOf(t, key) }},
	{"manual failover", func(t testing.TB, c *redistest.Cluster, key string) (string, string) { return c.FailoverOf(t, key) }},
}

// clusterFailover is one broadcast through three replicas on a 3+3
// cluster whose master of the queue's slot (claims, acks and the shared
// rate limiter all live there) fails with fault.
func clusterFailover(t testing.TB, n int, rate float64, fault func(testing.TB, *redistest.Cluster, string) (string, string)) failoverResult {
	c := redistest.StartCluster(t, redistest.WithReplicas())
	rs := startReplicas(t, 3, acceptanceConfig(t, rate),
		telegramtest.Options{GlobalRate: rate, GlobalBurst: 5, ChatInterval: time.Second}, connectURL(t, c.URL()))
	key := "t:{delivery}:ready" // queue.New tags the app's prefix "t:delivery"
	return failoverBroadcast(t, rs, n, rate, func() (string, string) { return fault(t, c, key) })
}

func TestAcceptanceClusterMasterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("scaled acceptance test")
	}
	const (
		n    = 600
		rate = 60.0
	)
	for _, tt := range clusterFaults {
		t.Run(tt.name, func(t *testing.T) { t.Log(clusterFailover(t, n, rate, tt.fault)) })
	}
}

// BenchmarkClusterMasterFailover is the cluster failovers at full size:
// REPLICAS_BENCH_N readers (3,000) at REPLICAS_BENCH_RATE (30/s).
//
//	go test ./internal/delivery -run '^$' -bench ClusterMasterFailover -benchtime 1x
func BenchmarkClusterMasterFailover(b *testing.B) {
	n := envInt(b, "REPLICAS_BENCH_N", 3000)
	rate := float64(envInt(b, "REPLICAS_BENCH_RATE", 30))
	for _, tt := range clusterFaults {
		b.Run(tt.name, func(b *testing.B) {
			for range b.N {
				clusterFailover(b, n, rate, tt.fault).report(b)
			}
		})
	}
}

// sentinelFailover is one broadcast through three replicas behind
// Sentinel, with SENTINEL FAILOVER once a third is out. The data nodes
// take writes only with their replica connected (min-replicas-to-write 1,
// as docs/operations.md advises): the old master refuses the writes the
// failover would lose, and the new one takes writes once Sentinel has made
// the old master its replica, about 10 s later. The claims' lease (20 s)
// outlasts that pause, as the default 90 s does, so every outcome is
// recorded on the new master and nothing is sent twice.
func sentinelFailover(t testing.TB, n int, rate float64, opts ...redistest.SentinelOption) failoverResult {
	s := redistest.StartSentinel(t, opts...)
	cfg := acceptanceConfig(t, rate)
	cfg.Lease = 20 * time.Second
	rs := startReplicas(t, 3, cfg,
		telegramtest.Options{GlobalRate: rate, GlobalBurst: 5, ChatInterval: time.Second}, connectURL(t, s.URL()))
	res := failoverBroadcast(t, rs, n, rate, func() (string, string) { return s.Failover(t) })
	if res.dups != 0 {
		t.Errorf("%d duplicates after SENTINEL FAILOVER with min-replicas-to-write; want none", res.dups)
	}
	return res
}

func TestAcceptanceSentinelMasterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("scaled acceptance test")
	}
	const (
		n    = 600
		rate = 60.0
	)
	t.Log(sentinelFailover(t, n, rate))
}

// BenchmarkSentinelMasterFailover is the Sentinel failover at full size:
// REPLICAS_BENCH_N readers (3,000) at REPLICAS_BENCH_RATE (30/s).
//
//	go test ./internal/delivery -run '^$' -bench SentinelMasterFailover -benchtime 1x
func BenchmarkSentinelMasterFailover(b *testing.B) {
	n := envInt(b, "REPLICAS_BENCH_N", 3000)
	rate := float64(envInt(b, "REPLICAS_BENCH_RATE", 30))
	for range b.N {
		sentinelFailover(b, n, rate).report(b)
	}
}
