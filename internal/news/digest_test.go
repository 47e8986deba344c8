package news

import (
	"testing"
	"time"
)

func TestDigestTimes(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	c := Chat{TimeZone: "Europe/Berlin", Digest: &DailyDigest{At: 8 * 60}}
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, berlin) }
	for _, tc := range []struct {
		now, prev, next time.Time
	}{
		{at(10, 7, 59), at(9, 8, 0), at(10, 8, 0)},
		{at(10, 8, 0), at(10, 8, 0), at(11, 8, 0)},
		{at(10, 23, 0), at(10, 8, 0), at(11, 8, 0)},
		// DST starts on 29 March in Berlin: the next digest is 23 hours later.
		{at(28, 9, 0), at(28, 8, 0), at(29, 8, 0)},
	} {
		prev, next := c.DigestTimes(tc.now)
		if !prev.Equal(tc.prev) || !next.Equal(tc.next) {
			t.Errorf("DigestTimes(%v) = %v, %v; want %v, %v", tc.now, prev, next, tc.prev, tc.next)
		}
	}
	if p, n := (Chat{}).DigestTimes(at(1, 1, 1)); !p.IsZero() || !n.IsZero() {
		t.Errorf("no digest: %v, %v", p, n)
	}
}

func TestHoldAt(t *testing.T) {
	utc := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	quiet := Chat{TimeZone: "+0", Quiet: &Quiet{From: 23 * 60, To: 7 * 60}}
	strict := Chat{TimeZone: "+0", Quiet: &Quiet{From: 23 * 60, To: 7 * 60, Strict: true}}
	daily := Chat{TimeZone: "+0", Digest: &DailyDigest{At: 8 * 60}, Quiet: &Quiet{From: 23 * 60, To: 7 * 60}}
	for _, tc := range []struct {
		name      string
		c         Chat
		enq, now  time.Time
		breaking  bool
		want      Hold
		wantUntil time.Time
	}{
		{"no hold", Chat{}, utc(1, 23, 30), utc(1, 23, 30), false, Live, time.Time{}},
		{"quiet", quiet, utc(1, 23, 30), utc(2, 1, 0), false, Held, utc(2, 7, 0)},
		{"quiet ended", quiet, utc(1, 23, 30), utc(2, 7, 0), false, QuietDigest, time.Time{}},
		{"quiet again", quiet, utc(1, 23, 30), utc(2, 23, 10), false, Held, utc(3, 7, 0)},
		{"queued by day", quiet, utc(2, 12, 0), utc(2, 12, 0), false, Live, time.Time{}},
		{"breaking rings", quiet, utc(1, 23, 30), utc(1, 23, 30), true, Live, time.Time{}},
		{"strict holds breaking", strict, utc(1, 23, 30), utc(1, 23, 30), true, Held, utc(2, 7, 0)},
		{"strict releases breaking", strict, utc(1, 23, 30), utc(2, 7, 1), true, QuietDigest, time.Time{}},
		{"daily waits", daily, utc(2, 9, 0), utc(2, 20, 0), false, Held, utc(3, 8, 0)},
		{"daily due", daily, utc(2, 9, 0), utc(3, 8, 0), false, DailyDue, time.Time{}},
		{"daily due late", daily, utc(2, 9, 0), utc(5, 1, 0), false, DailyDue, time.Time{}},
		{"daily, breaking live", daily, utc(2, 9, 0), utc(2, 9, 0), true, Live, time.Time{}},
	} {
		got, until := tc.c.HoldAt(tc.enq, tc.now, tc.breaking)
		if got != tc.want || !until.Equal(tc.wantUntil) {
			t.Errorf("%s: HoldAt = %v, %v; want %v, %v", tc.name, got, until, tc.want, tc.wantUntil)
		}
	}
}
