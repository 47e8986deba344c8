package queue

import (
	"context"
	"testing"
	"time"
)

func TestGroupTurnsAreSharedAndDelayed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		q := New(b.start(t), "t:delivery")
		t0 := time.UnixMilli(1_700_000_000_000)
		const iv = 3 * time.Second
		turn := func(at time.Time, group int64) time.Duration {
			t.Helper()
			d, err := q.GroupTurn(ctx, at, group, iv)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if d := turn(t0, -100); d != 0 {
			t.Fatalf("first turn waits %v", d)
		}
		// Whoever asks next for the group (another topic) waits; another
		// group does not.
		if d := turn(t0.Add(time.Second), -100); d != 2*time.Second {
			t.Errorf("second turn within the interval waits %v, want 2s", d)
		}
		if d := turn(t0.Add(time.Second), -200); d != 0 {
			t.Errorf("another group waits %v", d)
		}
		if d := turn(t0.Add(iv), -100); d != 0 {
			t.Errorf("the turn after the interval waits %v", d)
		}
		// A send that started late pushes the next turn; an earlier time
		// changes nothing.
		if err := q.DelayGroupTurn(ctx, -100, t0.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := q.DelayGroupTurn(ctx, -100, t0.Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if d := turn(t0.Add(8*time.Second), -100); d != 2*time.Second {
			t.Errorf("after a delayed turn: waits %v, want 2s", d)
		}
	})
}
