package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type reservation struct {
	Paid bool
	Wait time.Duration
}

func reserveN(t *testing.T, ls []*Limiter, n int) []reservation {
	t.Helper()
	var out []reservation
	for i := range n {
		s, d, err := ls[i%len(ls)].reserve(context.Background())
		if err != nil {
			t.Fatalf("reserve %d: %v", i, err)
		}
		out = append(out, reservation{s.Paid, d.Round(time.Microsecond)})
	}
	return out
}

func TestLimiterSpacesSlotsAcrossProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		rdb := b.start(t)
		now := func() time.Time { return t0 }
		// Two limiters on one Redis stand for two processes.
		a := testLimiter(rdb, rateInterval(30), 0, now)
		c := testLimiter(rdb, rateInterval(30), 0, now)
		got := reserveN(t, []*Limiter{a, c}, 4)
		iv := rateInterval(30)
		want := []reservation{{false, 0}, {false, iv}, {false, 2 * iv}, {false, 3 * iv}}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Duration) bool {
			return (x - y).Abs() <= time.Microsecond
		})); diff != "" {
			t.Errorf("slots (-want +got):\n%s", diff)
		}
	})
}

func TestLimiterIdleBudgetDoesNotBurst(t *testing.T) {
	rdb := miniRedis(t)
	now := t0
	l := testLimiter(rdb, 100*time.Millisecond, 0, func() time.Time { return now })
	reserveN(t, []*Limiter{l}, 1)
	// A long idle time must not turn into a burst of slots now.
	now = now.Add(time.Hour)
	got := reserveN(t, []*Limiter{l}, 3)
	want := []reservation{{false, 0}, {false, 100 * time.Millisecond}, {false, 200 * time.Millisecond}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("slots after idle (-want +got):\n%s", diff)
	}
}

func TestLimiterPaidSlotsOnlyAboveFreeRate(t *testing.T) {
	rdb := realRedis(t)
	now := func() time.Time { return t0 }
	// Free 1/s, paid 9/s (PaidRate 10): the free slot first, then paid
	// slots until the next free one is the earliest.
	l := testLimiter(rdb, time.Second, rateInterval(9), now)
	got := reserveN(t, []*Limiter{l}, 12)
	p := rateInterval(9)
	var want []reservation
	want = append(want, reservation{false, 0})
	for i := range 9 {
		want = append(want, reservation{true, time.Duration(i) * p})
	}
	// The paid TAT is now 9 × 111.111 ms, a hair before the free slot at 1 s.
	want = append(want, reservation{true, 9 * p}, reservation{false, time.Second})
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Duration) bool {
		return (x - y).Abs() <= 2*time.Microsecond
	})); diff != "" {
		t.Errorf("slots (-want +got):\n%s", diff)
	}
}

func TestLimiterPauseMovesSlotsPastIt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		rdb := b.start(t)
		now := t0
		l := testLimiter(rdb, 100*time.Millisecond, 0, func() time.Time { return now })
		if err := l.Pause(context.Background(), 2*time.Second); err != nil {
			t.Fatal(err)
		}
		_, _, err := l.reserve(context.Background())
		var p PausedError
		if !errors.As(err, &p) || p.For != 2*time.Second {
			t.Fatalf("reserve during pause: %v, want PausedError 2s", err)
		}
		now = now.Add(2 * time.Second)
		got := reserveN(t, []*Limiter{l}, 2)
		want := []reservation{{false, 0}, {false, 100 * time.Millisecond}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("slots after pause (-want +got):\n%s", diff)
		}
		// wait with a bound shorter than the pause reports it.
		if err := l.Pause(context.Background(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Wait(context.Background(), time.Second); !errors.As(err, &p) {
			t.Errorf("wait(maxPause 1s) during a 1m pause: %v, want PausedError", err)
		}
	})
}

func TestLimiterWaitKeepsRealRate(t *testing.T) {
	rdb := realRedis(t)
	l := testLimiter(rdb, 10*time.Millisecond, 0, time.Now)
	start := time.Now()
	for range 21 {
		if _, err := l.Wait(context.Background(), -1); err != nil {
			t.Fatal(err)
		}
	}
	// 21 slots at 100/s span at least 200 ms.
	if el := time.Since(start); el < 195*time.Millisecond {
		t.Errorf("21 slots at 100/s took %v, want ≥ 200ms", el)
	}
}

func TestLimiterPauseWakesSleepersHoldingEarlierSlots(t *testing.T) {
	rdb := realRedis(t)
	l := testLimiter(rdb, 300*time.Millisecond, 0, time.Now)
	// The first slot is now; the second is 300 ms away.
	if _, err := l.Wait(context.Background(), -1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan time.Duration)
	go func() {
		if _, err := l.Wait(context.Background(), -1); err != nil {
			t.Error(err)
		}
		done <- time.Since(start)
	}()
	// A 429 while it sleeps: its slot (at 300 ms) falls inside the pause.
	time.Sleep(50 * time.Millisecond)
	if err := l.Pause(context.Background(), 600*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := <-done; got < 640*time.Millisecond {
		t.Errorf("the sleeper sent after %v, inside the pause that ends at 650ms", got)
	}
}
