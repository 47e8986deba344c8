package delivery

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/store"
	"newsbot/internal/telegram/telegramtest"
)

// quietNow gives quiet hours from an hour ago to an hour from now on the
// clock, in Kyiv.
func quietNow(now time.Time, strict bool) *news.Quiet {
	kyiv, _ := news.LoadZone("")
	lt := now.In(kyiv)
	m := lt.Hour()*60 + lt.Minute()
	return &news.Quiet{From: (m + 24*60 - 60) % (24 * 60), To: (m + 60) % (24 * 60), Strict: strict}
}

func setQuiet(t *testing.T, st *store.Store, id int64, q *news.Quiet) {
	t.Helper()
	if _, err := st.UpdateChat(context.Background(), id, func(c *news.Chat, _ bool) error { c.Quiet = q; return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestQuietChatTimes(t *testing.T) {
	kyiv, _ := news.LoadZone("")
	at := func(h, m int) time.Time { return time.Date(2026, 3, 29, h, m, 0, 0, kyiv) } // DST starts at 03:00
	c := news.Chat{Quiet: &news.Quiet{From: 23 * 60, To: 7 * 60}}
	for _, tc := range []struct {
		t     time.Time
		quiet bool
		until time.Time
	}{
		{at(22, 59), false, time.Time{}},
		{at(23, 0), true, at(31, 0)},
		{at(2, 0), true, at(7, 0)},
		{at(7, 0), false, time.Time{}},
	} {
		until, quiet := c.QuietUntil(tc.t)
		if quiet != tc.quiet || !until.Equal(tc.until) {
			t.Errorf("QuietUntil(%v) = %v, %v; want %v, %v", tc.t, until, quiet, tc.until, tc.quiet)
		}
	}
	if until, _ := c.QuietUntil(at(2, 0)); until.Sub(at(2, 0)) != 4*time.Hour {
		t.Errorf("02:00 to 07:00 across the DST change = %v, want 4h", until.Sub(at(2, 0)))
	}
	berlin := news.Chat{TimeZone: "+01:00", Quiet: c.Quiet}
	if _, quiet := berlin.QuietUntil(at(23, 30)); quiet { // 22:30 at +01:00 in March
		t.Error("23:30 in Kyiv (summer time) is 21:30 at +01:00: not quiet")
	}
}

// TestQuietHoursHoldAndDigest is issue 13's acceptance for quiet hours,
// against the fake Bot API and a real Redis with an injected clock: three
// stories held during quiet hours arrive as one digest at their end, also
// when the bot restarts during the quiet hours; a breaking story rings
// during them, and does not in strict mode.
func TestQuietHoursHoldAndDigest(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	cfg := acceptanceConfig(t, 100)
	cfg.Now = now
	env := newAcceptanceEnv(t, cfg, telegramtest.Options{})
	const quiet, strict, live, control = 1, 2, 3, 4
	for _, id := range []int64{quiet, strict, live} {
		seedChat(t, env.st, id, news.English, true, "war")
	}
	seedChat(t, env.st, control, news.English, false, "other")
	setQuiet(t, env.st, quiet, quietNow(now(), false))
	setQuiet(t, env.st, strict, quietNow(now(), true))
	stop := runEngine(t, env.e)
	got := func(id int64) []string {
		var out []string
		for _, s := range env.srv.SentTo(id) {
			out = append(out, strings.Join(marks(s.Text), ""))
		}
		return out
	}
	seen := func(id int64) int { return len(strings.Join(got(id), "")) / len("[en/1]") }
	for id := int64(1); id <= 3; id++ {
		mustAnnounce(t, env.e, article(news.English, id, false, "war"))
	}
	waitFor(t, 20*time.Second, "the live chat's three stories", func() bool { return seen(live) == 3 })
	mustAnnounce(t, env.e, article(news.English, 4, true, "war"))
	// The breaking alert rings at once: the queue's hold of the chat's
	// news does not hold it (no need to wait for the next look at the chat).
	waitFor(t, 20*time.Second, "the live chat's four stories", func() bool { return seen(live) == 4 })
	waitFor(t, 20*time.Second, "the breaking alert in quiet hours", func() bool { return len(got(quiet)) == 1 })
	offset.Store(int64(2 * time.Minute)) // the held chat's queue is looked at again
	if s := env.srv.SentTo(quiet)[0]; s.Silent || !strings.Contains(s.Text, "[en/4]") {
		t.Errorf("in quiet hours the chat got %q (silent %v), want the breaking alert ringing", s.Text, s.Silent)
	}

	// A restart during the quiet hours: nothing more goes out.
	stop()
	e, err := New(cfg, env.st, queueOf(env.st), env.tg, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	runEngine(t, e)
	mustAnnounce(t, e, article(news.English, 5, false, "other"))
	waitFor(t, 20*time.Second, "the control story", func() bool { return len(got(control)) == 1 })
	if n := len(got(strict)); n != 0 {
		t.Errorf("in strict quiet hours the chat got %d messages, want 0: %q", n, got(strict))
	}
	if n := len(got(quiet)); n != 1 {
		t.Errorf("in quiet hours the chat got %d messages, want only the alert: %q", n, got(quiet))
	}

	// The quiet hours end: one digest each, newest included.
	offset.Store(int64(62 * time.Minute))
	waitFor(t, 20*time.Second, "the digests", func() bool { return len(got(quiet)) == 2 && len(got(strict)) == 1 })
	mustAnnounce(t, e, article(news.English, 6, false, "other"))
	waitFor(t, 20*time.Second, "the second control story", func() bool { return len(got(control)) == 2 })
	if want := []string{"[en/4]", "[en/1][en/2][en/3]"}; strings.Join(got(quiet), " ") != strings.Join(want, " ") {
		t.Errorf("quiet chat got %q, want %q", got(quiet), want)
	}
	if want := []string{"[en/4][en/1][en/2][en/3]"}; strings.Join(got(strict), " ") != strings.Join(want, " ") {
		t.Errorf("strict chat got %q, want %q", got(strict), want)
	}
}
