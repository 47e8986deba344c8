package queue

import (
	"context"
	"math"
	"testing"
	"time"
)

// The adaptive rate after 429s (Adaptive): the limit measured in the
// second after a pause is held for Hold before it is probed upwards, a
// failed probe goes back to the limit and doubles the hold, and a probe
// that held a whole step raises the limit known.
func TestAdaptiveRateHoldsThenProbes(t *testing.T) {
	ctx := context.Background()
	now := t0
	a := Adaptive{Max: 30, Min: 1, Cut: 0.4, Step: 0.5, Period: 10 * time.Second, Hold: time.Minute, MaxHold: 4 * time.Minute}
	l := New(miniRedis(t), "t:delivery").AdaptiveLimiter(rateInterval(30), 0, func() time.Time { return now }, a)
	rate := func(at time.Duration, what string, want float64) {
		t.Helper()
		now = t0.Add(at)
		if _, _, err := l.reserve(ctx); err != nil {
			t.Fatalf("%s: reserve: %v", what, err)
		}
		if got := l.RateInForce(); math.Abs(got-want) > 1e-3 {
			t.Errorf("%s: rate in force %.3f, want %.3f", what, got, want)
		}
	}
	flood := func(at time.Duration, start time.Time, seen Seen) {
		t.Helper()
		now = t0.Add(at)
		if err := l.Flood(ctx, time.Second, start, seen); err != nil {
			t.Fatal(err)
		}
	}

	// A 429 at a rate that used to pass: the limit is unknown, the rate cut.
	flood(0, t0.Add(-50*time.Millisecond), Seen{})
	if got := l.RateInForce(); math.Abs(got-12) > 1e-3 {
		t.Fatalf("rate after the first 429 %.3f, want 12", got)
	}
	// The second after the pause measures it: 10 sends accepted, the 11th refused.
	for i := range 11 {
		rate(time.Second+time.Duration(i)*83*time.Millisecond, "measuring", 12)
	}
	flood(time.Second+900*time.Millisecond, t0.Add(time.Second+850*time.Millisecond), Seen{Sent: 10, Accepted: 10})
	cut := time.Second + 900*time.Millisecond
	rate(cut+2*time.Second, "measured", 10)
	rate(cut+time.Minute+9*time.Second, "held for a minute", 10)
	rate(cut+time.Minute+10*time.Second, "first probe", 10.5)

	// The probe fails: back to 10, and the next one waits twice as long.
	failed := cut + time.Minute + 15*time.Second
	flood(failed, t0.Add(failed-50*time.Millisecond), Seen{})
	rate(failed+2*time.Second, "after a failed probe", 10)
	rate(failed+2*time.Minute+9*time.Second, "held for two minutes", 10)
	rate(failed+2*time.Minute+10*time.Second, "second probe", 10.5)
	rate(failed+2*time.Minute+20*time.Second, "second probe, next step", 11)

	// A 429 at 11 after 10.5 held a whole period: 10.5 is the limit known.
	again := failed + 2*time.Minute + 25*time.Second
	flood(again, t0.Add(again-50*time.Millisecond), Seen{})
	rate(again+2*time.Second, "after the second probe", 10.5)
	rate(again+4*time.Minute+9*time.Second, "held for the longest hold", 10.5)
	rate(again+4*time.Minute+10*time.Second, "third probe", 11)
}
