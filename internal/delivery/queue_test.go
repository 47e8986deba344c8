package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const qLease = 10 * time.Second

func newQueue(t *testing.T, b backend) *queue {
	return &queue{rdb: b.start(t), prefix: "t:delivery"}
}

// claimAt claims at now and fails the test on error.
func claimAt(t *testing.T, q *queue, now time.Time, token string) claimResult {
	t.Helper()
	res, err := q.claim(context.Background(), now, token, qLease)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return res
}

func mustEnqueue(t *testing.T, q *queue, now time.Time, ref string, rec map[int64]int) int {
	t.Helper()
	n, err := q.enqueue(context.Background(), now, ref, rec)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return n
}

func mustFinish(t *testing.T, q *queue, now time.Time, c claimed, o outcome) bool {
	t.Helper()
	held, err := q.finish(context.Background(), now, c, o)
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	return held
}

func claimedRefs(c claimed) []string {
	var out []string
	for _, p := range c.items {
		out = append(out, p.ref)
	}
	return out
}

func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

func TestQueueOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{10: prioNormal})
		mustEnqueue(t, q, t0.Add(time.Second), "uk:2", map[int64]int{20: prioNormal, -30: prioNormal})
		mustEnqueue(t, q, t0.Add(2*time.Second), "uk:3", map[int64]int{40: prioBreaking})
		// A chat with an old normal item gets a breaking one: it moves up.
		mustEnqueue(t, q, t0.Add(3*time.Second), "uk:4", map[int64]int{20: prioBreaking})

		now := t0.Add(5 * time.Second)
		var got []int64
		for {
			res := claimAt(t, q, now, "tok")
			if res.state != claimGot {
				break
			}
			got = append(got, res.c.chat)
		}
		// Breaking first (oldest first: 40 at +2s, 20 at +3s), then normal
		// oldest first (10 at 0s; 20 is gone; -30 at +1s).
		want := []int64{40, 20, 10, -30}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("claim order (-want +got):\n%s", diff)
		}
	})
}

func TestQueueCoalescesItemsOfOneChat(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{10: prioNormal})
		mustEnqueue(t, q, t0.Add(time.Second), "uk:2", map[int64]int{10: prioNormal})
		mustEnqueue(t, q, t0.Add(2*time.Second), "uk:3", map[int64]int{10: prioBreaking})
		res := claimAt(t, q, t0.Add(3*time.Second), "tok")
		if res.state != claimGot || res.c.chat != 10 {
			t.Fatalf("claim = %+v, want chat 10", res)
		}
		// Breaking first, then oldest first.
		if diff := cmp.Diff([]string{"uk:3", "uk:1", "uk:2"}, claimedRefs(res.c)); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if got := res.c.items[0].prio; got != prioBreaking {
			t.Errorf("first item prio = %d, want breaking", got)
		}
		if next := claimAt(t, q, t0.Add(3*time.Second), "tok"); next.state != claimIdle {
			t.Errorf("second claim state = %v, want idle (the chat is in flight)", next.state)
		}
	})
}

func TestQueueLedgerMakesEnqueueIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		rec := map[int64]int{1: prioNormal, 2: prioNormal}
		if n := mustEnqueue(t, q, t0, "uk:7", rec); n != 2 {
			t.Fatalf("first enqueue added %d, want 2", n)
		}
		if n := mustEnqueue(t, q, t0, "uk:7", rec); n != 0 {
			t.Errorf("second enqueue while pending added %d, want 0", n)
		}
		res := claimAt(t, q, t0, "tok")
		if !mustFinish(t, q, t0, res.c, outcome{sent: claimedRefs(res.c), messages: 1}) {
			t.Error("finish reported the claim lost")
		}
		// Chat res.c.chat got it: a re-run of the fan-out must skip it.
		if n := mustEnqueue(t, q, t0.Add(time.Second), "uk:7", rec); n != 0 {
			t.Errorf("enqueue after one delivery added %d, want 0 (one is pending, one in the ledger)", n)
		}
		s, err := q.stats(context.Background(), t0)
		if err != nil {
			t.Fatal(err)
		}
		if s.Pending != 1 || s.Delivered != 1 || s.Messages != 1 {
			t.Errorf("stats = %+v, want 1 pending, 1 delivered, 1 message", s)
		}
	})
}

func TestQueueLeaseExpiryReclaims(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{5: prioNormal})
		first := claimAt(t, q, t0, "dead-sender")
		if first.state != claimGot {
			t.Fatalf("claim: %+v", first)
		}
		// Before the lease ends nobody else gets it.
		if res := claimAt(t, q, t0.Add(qLease-time.Millisecond), "other"); res.state != claimIdle {
			t.Fatalf("claim before lease end: state %v, want idle", res.state)
		} else if res.wait != time.Millisecond {
			t.Errorf("idle hint = %v, want 1ms (the lease end)", res.wait)
		}
		res := claimAt(t, q, t0.Add(qLease), "other")
		if res.state != claimGot || res.c.chat != 5 {
			t.Fatalf("claim after lease end = %+v, want chat 5", res)
		}
		// The dead sender's late report still records the send, but it
		// does not release the new holder's claim.
		if mustFinish(t, q, t0.Add(qLease), first.c, outcome{sent: []string{"uk:1"}, messages: 1}) {
			t.Error("finish with a lost claim reported it held")
		}
		s, _ := q.stats(context.Background(), t0)
		if s.Reclaimed != 1 || s.InFlight != 1 || s.Pending != 0 {
			t.Errorf("stats = %+v, want 1 reclaimed, 1 in flight, 0 pending", s)
		}
		if !mustFinish(t, q, t0.Add(qLease), res.c, outcome{}) {
			t.Error("new holder lost its claim")
		}
		if r := claimAt(t, q, t0.Add(time.Hour), "x"); r.state != claimIdle || r.wait >= 0 {
			t.Errorf("after everything: %+v, want idle with nothing queued", r)
		}
	})
}

func TestQueueNotBeforeDelaysTheChat(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		const iv = time.Second
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{7: prioNormal})
		res := claimAt(t, q, t0, "a")
		// Sent at t0: the chat's next message waits until t0+iv.
		mustFinish(t, q, t0.Add(20*time.Millisecond), res.c, outcome{sent: []string{"uk:1"}, messages: 1, notBefore: t0.Add(iv)})
		mustEnqueue(t, q, t0.Add(100*time.Millisecond), "uk:2", map[int64]int{7: prioBreaking})
		got := claimAt(t, q, t0.Add(200*time.Millisecond), "b")
		if got.state != claimIdle || got.wait != iv-200*time.Millisecond {
			t.Errorf("claim within interval = %+v, want idle for %v", got, iv-200*time.Millisecond)
		}
		got = claimAt(t, q, t0.Add(iv), "b")
		if got.state != claimGot || got.c.chat != 7 {
			t.Fatalf("claim after interval = %+v", got)
		}
		// A not-before in the past changes nothing; an earlier one does
		// not shorten a later one.
		mustFinish(t, q, t0.Add(iv), got.c, outcome{retry: []string{"uk:2"}, notBefore: t0.Add(5 * time.Second)})
		mustEnqueue(t, q, t0.Add(2*time.Second), "uk:3", map[int64]int{7: prioNormal})
		got = claimAt(t, q, t0.Add(3*time.Second), "c")
		if got.state != claimIdle || got.wait != 2*time.Second {
			t.Errorf("claim during back-off = %+v, want idle for 2s", got)
		}
	})
}

func TestQueueRetryCountsAttemptsAndBacksOff(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "ru:9", map[int64]int{3: prioNormal})
		now := t0
		for attempt := 0; attempt < 3; attempt++ {
			res := claimAt(t, q, now, "tok")
			if res.state != claimGot {
				t.Fatalf("attempt %d: %+v", attempt, res)
			}
			if got := res.c.items[0].attempts; got != attempt {
				t.Errorf("attempts = %d, want %d", got, attempt)
			}
			mustFinish(t, q, now, res.c, outcome{retry: []string{"ru:9"}, notBefore: now.Add(5 * time.Second)})
			if r := claimAt(t, q, now.Add(4*time.Second), "tok"); r.state != claimIdle {
				t.Errorf("claim during back-off: %v", r.state)
			}
			now = now.Add(5 * time.Second)
		}
		s, _ := q.stats(context.Background(), now)
		if s.Retried != 3 || s.Pending != 1 {
			t.Errorf("stats = %+v, want 3 retried, 1 pending", s)
		}
	})
}

func TestQueueDeadLettersAndDrops(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "en:1", map[int64]int{4: prioNormal})
		mustEnqueue(t, q, t0, "bc:2", map[int64]int{4: prioNormal})
		res := claimAt(t, q, t0, "tok")
		dl := &DeadLetter{ChatID: 4, Items: []Item{{Edition: news.English, ArticleID: 1}}, Kind: "bad_request",
			Error: "Bad Request: nope", Attempts: 1, At: t0}
		mustFinish(t, q, t0, res.c, outcome{dead: []string{"en:1"}, drop: []string{"bc:2"}, deadLetter: dl})
		got, err := q.deadLetters(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]DeadLetter{*dl}, got); diff != "" {
			t.Errorf("dead letters (-want +got):\n%s", diff)
		}
		s, _ := q.stats(context.Background(), t0)
		want := Stats{DeadLetters: 1, Dead: 1, Dropped: 1}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
	})
}

func TestQueueMigrateMovesPendingItems(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{-100: prioNormal})
		mustEnqueue(t, q, t0, "uk:2", map[int64]int{-100: prioNormal})
		res := claimAt(t, q, t0, "tok")
		if err := q.migrate(context.Background(), t0, res.c, -1009); err != nil {
			t.Fatal(err)
		}
		got := claimAt(t, q, t0, "tok2")
		if got.state != claimGot || got.c.chat != -1009 {
			t.Fatalf("claim after migrate = %+v, want chat -1009", got)
		}
		if diff := cmp.Diff([]string{"uk:1", "uk:2"}, claimedRefs(got.c)); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		s, _ := q.stats(context.Background(), t0)
		if s.InFlight != 1 || s.Pending != 2 || s.Migrated != 1 || s.Waiting() != 0 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestQueueClaimSkipsItemsInLedger(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{8: prioNormal})
		// The item shows up in the ledger by another path (a sender whose
		// claim was lost recorded it late).
		if err := q.rdb.SAdd(context.Background(), q.key("sent", "uk", "1"), 8).Err(); err != nil {
			t.Fatal(err)
		}
		if res := claimAt(t, q, t0, "tok"); res.state != claimEmpty {
			t.Errorf("claim = %+v, want empty", res)
		}
		s, _ := q.stats(context.Background(), t0)
		if s.Pending != 0 || s.Waiting() != 0 || s.InFlight != 0 {
			t.Errorf("stats = %+v, want an empty queue", s)
		}
	})
}

func TestQueuePauseStopsClaims(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		l := newLimiter(q.rdb, q.prefix, time.Second, 0, func() time.Time { return t0 })
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{8: prioNormal})
		if err := l.pause(context.Background(), 3*time.Second); err != nil {
			t.Fatal(err)
		}
		res := claimAt(t, q, t0.Add(time.Second), "tok")
		if res.state != claimPause || res.wait != 2*time.Second {
			t.Errorf("claim during pause = %+v, want pause 2s", res)
		}
		if res := claimAt(t, q, t0.Add(3*time.Second), "tok"); res.state != claimGot {
			t.Errorf("claim after pause = %+v", res)
		}
		s, _ := q.stats(context.Background(), t0.Add(time.Second))
		if s.Paused != 2*time.Second || s.Floods != 1 {
			t.Errorf("stats = %+v, want paused 2s, 1 flood", s)
		}
	})
}

func TestParseItem(t *testing.T) {
	tests := []struct {
		in   string
		want item
		ok   bool
	}{
		{"uk:123", item{edition: news.Ukrainian, articleID: 123}, true},
		{"en:1", item{edition: news.English, articleID: 1}, true},
		{"bc:7", item{broadcast: 7}, true},
		{"xx:1", item{}, false},
		{"uk:", item{}, false},
		{"uk:-1", item{}, false},
		{"uk:0", item{}, false},
		{"uk1", item{}, false},
		{"", item{}, false},
		{"UK:5", item{}, false},
	}
	for _, tt := range tests {
		got, ok := parseItem(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseItem(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.in {
			t.Errorf("parseItem(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestParsePendingToleratesDamage(t *testing.T) {
	tests := []struct {
		ref, val string
		want     pending
	}{
		{"uk:1", "0|1700000000000|2", pending{ref: "uk:1", item: item{edition: "uk", articleID: 1}, valid: true,
			prio: prioBreaking, enqueued: time.UnixMilli(1700000000000), attempts: 2}},
		{"uk:1", "garbage", pending{ref: "uk:1", item: item{edition: "uk", articleID: 1}, valid: true, prio: prioNormal}},
		{"??", "1|5|x", pending{ref: "??", prio: prioNormal, enqueued: time.UnixMilli(5)}},
	}
	for _, tt := range tests {
		got := parsePending(tt.ref, tt.val)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(pending{}, item{})); diff != "" {
			t.Errorf("parsePending(%q, %q) (-want +got):\n%s", tt.ref, tt.val, diff)
		}
	}
}
