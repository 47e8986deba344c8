package queue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A chat's hold (its quiet hours) keeps its normal items back while a
// breaking item queued meanwhile is due at once, still paced by the
// chat's not-before; the held items come when the hold ends, whether
// they were queued before it was set or during it.
func TestHoldLetsBreakingThrough(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		q := newQueue(t, b)
		const chat = 77
		mustEnqueue(t, q, t0, "uk:1", map[int64]int{chat: PrioNormal})
		res := claimAt(t, q, t0, "a")
		if res.State != Got {
			t.Fatalf("first claim: %v", res.State)
		}
		hold := t0.Add(time.Hour)
		mustFinish(t, q, t0, res.Claim, Outcome{HoldUntil: hold})
		mustEnqueue(t, q, t0.Add(time.Second), "uk:2", map[int64]int{chat: PrioNormal})
		if res := claimAt(t, q, t0.Add(2*time.Second), "b"); res.State != Idle {
			t.Fatalf("claim during the hold: %v, want idle", res.State)
		}

		// A breaking item rings now, with the held ones in the claim.
		now := t0.Add(3 * time.Second)
		mustEnqueue(t, q, now, "uk:3", map[int64]int{chat: PrioBreaking})
		res = claimAt(t, q, now, "c")
		if res.State != Got {
			t.Fatalf("claim of a breaking item during the hold: %v", res.State)
		}
		if diff := cmp.Diff([]string{"uk:3", "uk:1", "uk:2"}, claimedRefs(res.Claim)); diff != "" {
			t.Errorf("claimed (-want +got):\n%s", diff)
		}
		mustFinish(t, q, now, res.Claim, Outcome{Sent: []string{"uk:3"}, NotBefore: now.Add(time.Second), HoldUntil: hold})

		// The next breaking item waits for the pacing, not for the hold.
		mustEnqueue(t, q, now.Add(100*time.Millisecond), "uk:4", map[int64]int{chat: PrioBreaking})
		if res := claimAt(t, q, now.Add(500*time.Millisecond), "d"); res.State != Idle || res.Wait > 600*time.Millisecond {
			t.Fatalf("claim within the pacing: %v (wait %v), want idle for 500ms", res.State, res.Wait)
		}
		res = claimAt(t, q, now.Add(time.Second), "e")
		if res.State != Got || res.Claim.Items[0].Ref != "uk:4" {
			t.Fatalf("claim after the pacing: %v %v", res.State, claimedRefs(res.Claim))
		}
		mustFinish(t, q, now.Add(time.Second), res.Claim, Outcome{Sent: []string{"uk:4"}, NotBefore: now.Add(2 * time.Second)})

		// The held items wait for the hold, which is not passed yet.
		if res := claimAt(t, q, hold.Add(-time.Millisecond), "f"); res.State != Idle {
			t.Fatalf("claim before the hold ends: %v, want idle", res.State)
		}
		res = claimAt(t, q, hold, "g")
		if res.State != Got {
			t.Fatalf("claim at the end of the hold: %v", res.State)
		}
		if diff := cmp.Diff([]string{"uk:1", "uk:2"}, claimedRefs(res.Claim)); diff != "" {
			t.Errorf("claimed at the end of the hold (-want +got):\n%s", diff)
		}
	})
}
