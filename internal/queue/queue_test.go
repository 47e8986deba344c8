package queue

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const qLease = 10 * time.Second

func newQueue(t *testing.T, b backend) *Queue {
	return New(b.start(t), "t:delivery")
}

// claimAt claims at now and fails the test on error.
func claimAt(t *testing.T, q *Queue, now time.Time, token string) ClaimResult {
	t.Helper()
	res, err := q.Claim(context.Background(), now, token, qLease)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return res
}

func mustEnqueue(t *testing.T, q *Queue, now time.Time, ref string, rec map[int64]int) int {
	t.Helper()
	n, err := q.Enqueue(context.Background(), now, ref, rec)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return n
}

func mustFinish(t *testing.T, q *Queue, now time.Time, c Claim, o Outcome) bool {
	t.Helper()
	held, err := q.Finish(context.Background(), now, c, o)
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	return held
}

func claimedRefs(c Claim) []string {
	var out []string
	for _, p := range c.Items {
		out = append(out, p.Ref)
	}
	return out
}

func TestQueueOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{10: PrioNormal})
		mustEnqueue(t, q, t0.Add(time.Second), "uk:2", map[int64]int{20: PrioNormal, -30: PrioNormal})
		mustEnqueue(t, q, t0.Add(2*time.Second), "uk:3", map[int64]int{40: PrioBreaking})
		// A chat with an old normal item gets a breaking one: it moves up.
		mustEnqueue(t, q, t0.Add(3*time.Second), "uk:4", map[int64]int{20: PrioBreaking})

		now := t0.Add(5 * time.Second)
		var got []int64
		for {
			res := claimAt(t, q, now, "tok")
			if res.State != Got {
				break
			}
			got = append(got, res.Claim.Chat)
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
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{10: PrioNormal})
		mustEnqueue(t, q, t0.Add(time.Second), "uk:2", map[int64]int{10: PrioNormal})
		mustEnqueue(t, q, t0.Add(2*time.Second), "uk:3", map[int64]int{10: PrioBreaking})
		res := claimAt(t, q, t0.Add(3*time.Second), "tok")
		if res.State != Got || res.Claim.Chat != 10 {
			t.Fatalf("claim = %+v, want chat 10", res)
		}
		// Breaking first, then oldest first.
		if diff := cmp.Diff([]string{"uk:3", "uk:1", "uk:2"}, claimedRefs(res.Claim)); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if got := res.Claim.Items[0].Prio; got != PrioBreaking {
			t.Errorf("first item prio = %d, want breaking", got)
		}
		if next := claimAt(t, q, t0.Add(3*time.Second), "tok"); next.State != Idle {
			t.Errorf("second claim state = %v, want idle (the chat is in flight)", next.State)
		}
	})
}

func TestQueueLedgerMakesEnqueueIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		rec := map[int64]int{1: PrioNormal, 2: PrioNormal}
		if n := mustEnqueue(t, q, t0, "uk:7", rec); n != 2 {
			t.Fatalf("first enqueue added %d, want 2", n)
		}
		if n := mustEnqueue(t, q, t0, "uk:7", rec); n != 0 {
			t.Errorf("second enqueue while pending added %d, want 0", n)
		}
		res := claimAt(t, q, t0, "tok")
		if !mustFinish(t, q, t0, res.Claim, Outcome{Sent: claimedRefs(res.Claim), Messages: 1}) {
			t.Error("finish reported the claim lost")
		}
		// Chat res.Claim.Chat got it: a re-run of the fan-out must skip it.
		if n := mustEnqueue(t, q, t0.Add(time.Second), "uk:7", rec); n != 0 {
			t.Errorf("enqueue after one delivery added %d, want 0 (one is pending, one in the ledger)", n)
		}
		s, err := q.Stats(context.Background(), t0)
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
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{5: PrioNormal})
		first := claimAt(t, q, t0, "dead-sender")
		if first.State != Got {
			t.Fatalf("claim: %+v", first)
		}
		// Before the lease ends nobody else gets it.
		if res := claimAt(t, q, t0.Add(qLease-time.Millisecond), "other"); res.State != Idle {
			t.Fatalf("claim before lease end: state %v, want idle", res.State)
		} else if res.Wait != time.Millisecond {
			t.Errorf("idle hint = %v, want 1ms (the lease end)", res.Wait)
		}
		res := claimAt(t, q, t0.Add(qLease), "other")
		if res.State != Got || res.Claim.Chat != 5 {
			t.Fatalf("claim after lease end = %+v, want chat 5", res)
		}
		// The dead sender's late report still records the send, but it
		// does not release the new holder's claim.
		if mustFinish(t, q, t0.Add(qLease), first.Claim, Outcome{Sent: []string{"uk:1"}, Messages: 1}) {
			t.Error("finish with a lost claim reported it held")
		}
		s, _ := q.Stats(context.Background(), t0)
		if s.Reclaimed != 1 || s.InFlight != 1 || s.Pending != 0 {
			t.Errorf("stats = %+v, want 1 reclaimed, 1 in flight, 0 pending", s)
		}
		if !mustFinish(t, q, t0.Add(qLease), res.Claim, Outcome{}) {
			t.Error("new holder lost its claim")
		}
		if r := claimAt(t, q, t0.Add(time.Hour), "x"); r.State != Idle || r.Wait >= 0 {
			t.Errorf("after everything: %+v, want idle with nothing queued", r)
		}
	})
}

func TestQueueNotBeforeDelaysTheChat(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		const iv = time.Second
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{7: PrioNormal})
		res := claimAt(t, q, t0, "a")
		// Sent at t0: the chat's next message waits until t0+iv.
		mustFinish(t, q, t0.Add(20*time.Millisecond), res.Claim, Outcome{Sent: []string{"uk:1"}, Messages: 1, NotBefore: t0.Add(iv)})
		mustEnqueue(t, q, t0.Add(100*time.Millisecond), "uk:2", map[int64]int{7: PrioBreaking})
		got := claimAt(t, q, t0.Add(200*time.Millisecond), "b")
		if got.State != Idle || got.Wait != iv-200*time.Millisecond {
			t.Errorf("claim within interval = %+v, want idle for %v", got, iv-200*time.Millisecond)
		}
		got = claimAt(t, q, t0.Add(iv), "b")
		if got.State != Got || got.Claim.Chat != 7 {
			t.Fatalf("claim after interval = %+v", got)
		}
		// A not-before in the past changes nothing; an earlier one does
		// not shorten a later one.
		mustFinish(t, q, t0.Add(iv), got.Claim, Outcome{Retry: []string{"uk:2"}, NotBefore: t0.Add(5 * time.Second)})
		mustEnqueue(t, q, t0.Add(2*time.Second), "uk:3", map[int64]int{7: PrioNormal})
		got = claimAt(t, q, t0.Add(3*time.Second), "c")
		if got.State != Idle || got.Wait != 2*time.Second {
			t.Errorf("claim during back-off = %+v, want idle for 2s", got)
		}
	})
}

func TestQueueRetryCountsAttemptsAndBacksOff(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "ru:9", map[int64]int{3: PrioNormal})
		now := t0
		for attempt := 0; attempt < 3; attempt++ {
			res := claimAt(t, q, now, "tok")
			if res.State != Got {
				t.Fatalf("attempt %d: %+v", attempt, res)
			}
			if got := res.Claim.Items[0].Attempts; got != attempt {
				t.Errorf("attempts = %d, want %d", got, attempt)
			}
			mustFinish(t, q, now, res.Claim, Outcome{Retry: []string{"ru:9"}, NotBefore: now.Add(5 * time.Second)})
			if r := claimAt(t, q, now.Add(4*time.Second), "tok"); r.State != Idle {
				t.Errorf("claim during back-off: %v", r.State)
			}
			now = now.Add(5 * time.Second)
		}
		s, _ := q.Stats(context.Background(), now)
		if s.Retried != 3 || s.Pending != 1 {
			t.Errorf("stats = %+v, want 3 retried, 1 pending", s)
		}
	})
}

func TestQueueDeadLettersAndDrops(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "en:1", map[int64]int{4: PrioNormal})
		mustEnqueue(t, q, t0, "bc:2", map[int64]int{4: PrioNormal})
		res := claimAt(t, q, t0, "tok")
		dl := []byte(`{"chat_id":4,"items":[{"edition":"en","article_id":1}],"kind":"bad_request","attempts":1}`)
		mustFinish(t, q, t0, res.Claim, Outcome{Dead: []string{"en:1"}, Drop: []string{"bc:2"}, DeadLetter: dl})
		got, err := q.DeadLetters(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]byte{dl}, got); diff != "" {
			t.Errorf("dead letters (-want +got):\n%s", diff)
		}
		s, _ := q.Stats(context.Background(), t0)
		want := Stats{DeadLetters: 1, Dead: 1, Dropped: 1}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
	})
}

func TestQueueMigrateMovesPendingItems(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{-100: PrioNormal})
		mustEnqueue(t, q, t0, "uk:2", map[int64]int{-100: PrioNormal})
		res := claimAt(t, q, t0, "tok")
		if err := q.Migrate(context.Background(), t0, res.Claim, -1009); err != nil {
			t.Fatal(err)
		}
		got := claimAt(t, q, t0, "tok2")
		if got.State != Got || got.Claim.Chat != -1009 {
			t.Fatalf("claim after migrate = %+v, want chat -1009", got)
		}
		if diff := cmp.Diff([]string{"uk:1", "uk:2"}, claimedRefs(got.Claim)); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		s, _ := q.Stats(context.Background(), t0)
		if s.InFlight != 1 || s.Pending != 2 || s.Migrated != 1 || s.Waiting() != 0 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestQueueClaimSkipsItemsInLedger(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{8: PrioNormal})
		// The item shows up in the ledger by another path (a sender whose
		// claim was lost recorded it late).
		if err := q.rdb.ZAdd(context.Background(), q.k.sent(), redis.Z{Score: float64(t0.UnixMilli()), Member: "8" + valueSep + "uk:1"}).Err(); err != nil {
			t.Fatal(err)
		}
		if res := claimAt(t, q, t0, "tok"); res.State != Empty {
			t.Errorf("claim = %+v, want empty", res)
		}
		s, _ := q.Stats(context.Background(), t0)
		if s.Pending != 0 || s.Waiting() != 0 || s.InFlight != 0 {
			t.Errorf("stats = %+v, want an empty queue", s)
		}
	})
}

func TestQueuePauseStopsClaims(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		l := q.Limiter(time.Second, 0, func() time.Time { return t0 })
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{8: PrioNormal})
		if err := l.Pause(context.Background(), 3*time.Second); err != nil {
			t.Fatal(err)
		}
		res := claimAt(t, q, t0.Add(time.Second), "tok")
		if res.State != Paused || res.Wait != 2*time.Second {
			t.Errorf("claim during pause = %+v, want pause 2s", res)
		}
		if res := claimAt(t, q, t0.Add(3*time.Second), "tok"); res.State != Got {
			t.Errorf("claim after pause = %+v", res)
		}
		s, _ := q.Stats(context.Background(), t0.Add(time.Second))
		if s.Paused != 2*time.Second || s.Floods != 1 {
			t.Errorf("stats = %+v, want paused 2s, 1 flood", s)
		}
	})
}

func TestParsePendingToleratesDamage(t *testing.T) {
	tests := []struct {
		ref, val string
		want     Pending
	}{
		{"uk:1", "0|1700000000000|2", Pending{Ref: "uk:1", Prio: PrioBreaking, Enqueued: time.UnixMilli(1700000000000), Attempts: 2}},
		{"uk:1", "garbage", Pending{Ref: "uk:1", Prio: PrioNormal}},
		{"??", "1|5|x", Pending{Ref: "??", Prio: PrioNormal, Enqueued: time.UnixMilli(5)}},
	}
	for _, tt := range tests {
		got := parsePending(tt.ref, tt.val)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parsePending(%q, %q) (-want +got):\n%s", tt.ref, tt.val, diff)
		}
	}
}
