package queue

import (
	"context"
	"testing"
	"time"
)

// A renewed claim is not reclaimed when its first lease ends; a claim
// renewed by someone else's token is not extended.
func TestQueueRenewKeepsAClaim(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		t0 := time.UnixMilli(1_700_000_000_000)
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{5: PrioNormal})
		res := claimAt(t, q, t0, "holder")
		if res.State != Got || res.Claim.Chat != 5 {
			t.Fatalf("claim = %+v, want chat 5", res)
		}
		ctx := context.Background()
		held, err := q.Renew(ctx, t0.Add(qLease/2), res.Claim, qLease)
		if err != nil || !held {
			t.Fatalf("renew by the holder = %v, %v; want true", held, err)
		}
		// The first lease has ended, the renewed one has not.
		if got := claimAt(t, q, t0.Add(qLease+time.Second), "other"); got.State == Got {
			t.Fatalf("a renewed claim was reclaimed: %+v", got)
		}
		stranger := res.Claim
		stranger.Token = "other"
		if held, err := q.Renew(ctx, t0.Add(qLease), stranger, 10*qLease); err != nil || held {
			t.Fatalf("renew with a wrong token = %v, %v; want false", held, err)
		}
		// Without further renewal the claim runs out after the renewed lease.
		got := claimAt(t, q, t0.Add(qLease/2+qLease), "other")
		if got.State != Got || got.Claim.Chat != 5 {
			t.Fatalf("after the renewed lease: %+v, want chat 5 reclaimed", got)
		}
		if held, _ := q.Renew(ctx, t0.Add(2*qLease), res.Claim, qLease); held {
			t.Error("the old holder renewed a claim it lost")
		}
	})
}
