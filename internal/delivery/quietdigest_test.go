package delivery

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// heldRenderer is textRenderer with a held digest of at most two stories a
// message, so that tests see the split.
type heldRenderer struct{ textRenderer }

func (heldRenderer) HeldDigest(as []*news.Article, lang news.Lang, chat news.Chat, daily bool) (telegram.Message, int) {
	n := min(len(as), 2)
	text := "quiet:"
	if daily {
		text = "daily:"
	}
	for _, a := range as[:n] {
		text += articleMark(a)
	}
	return telegram.Message{Text: text, ParseMode: "HTML"}, n
}

// heldTexts is what chat got, one string a message.
func heldTexts(s *fakeSender, chat int64) []string {
	var out []string
	for _, m := range s.to(chat) {
		out = append(out, m.m.Text)
	}
	return out
}

// The stories held through quiet hours come, at their end, as the held
// digest, newest first, split where the renderer says, each part
// acknowledged once sent (a failed part is sent again, none twice); a
// breaking alert in quiet hours rings at once, without waiting for the
// chat's queue to be looked at again; a daily digest chat gets its
// stories at the digest time, its breaking alert live.
func TestHeldDigestNewestFirstInParts(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	cfg := testConfig(t)
	cfg.Now = now
	var failed atomic.Bool
	s := &fakeSender{fn: func(n int, m telegram.Message) error {
		if strings.HasPrefix(m.Text, "quiet:[en/3]") && failed.CompareAndSwap(false, true) {
			return tgErr(telegram.Server, "Internal Server Error")
		}
		return nil
	}}
	st := newStore(realRedis(t))
	e, err := New(cfg, st, queueOf(st), s, heldRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	const quiet, daily = 11, 12
	seedChat(t, st, quiet, news.English, true, "war")
	seedChat(t, st, daily, news.English, true, "war")
	setQuiet(t, st, quiet, quietNow(now(), false))
	kyiv, _ := news.LoadZone("")
	lt := now().Add(30 * time.Minute).In(kyiv)
	if _, err := st.UpdateChat(context.Background(), daily, func(c *news.Chat, _ bool) error {
		c.Digest = &news.DailyDigest{At: lt.Hour()*60 + lt.Minute()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	runEngine(t, e)
	for id := int64(1); id <= 5; id++ {
		a := article(news.English, id, false, "war")
		a.Published = now().Add(time.Duration(id) * time.Second)
		mustAnnounce(t, e, a)
	}
	mustAnnounce(t, e, article(news.English, 6, true, "war"))
	waitFor(t, 5*time.Second, "the breaking alerts", func() bool { return len(s.to(quiet)) == 1 && len(s.to(daily)) == 1 })
	for _, c := range []int64{quiet, daily} {
		if got := heldTexts(s, c); !strings.Contains(got[0], "[en/6]") {
			t.Errorf("chat %d got %q in its hold, want only the breaking alert", c, got)
		}
	}

	offset.Store(int64(61 * time.Minute)) // past the end of the quiet hours and the digest time
	waitDrained(t, e, 10*time.Second)
	want := []string{"quiet:[en/5][en/4]", "quiet:[en/3][en/2]", "quiet:[en/1]"}
	if got := heldTexts(s, quiet)[1:]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after the quiet hours: %q, want %q", got, want)
	}
	if !failed.Load() {
		t.Error("the second part never failed: the retry was not tested")
	}
	want = []string{"daily:[en/5][en/4]", "daily:[en/3][en/2]", "daily:[en/1]"}
	if got := heldTexts(s, daily)[1:]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("at the digest time: %q, want %q", got, want)
	}
	for _, m := range s.to(quiet)[1:] {
		if !m.m.Silent {
			t.Errorf("a digest part rang: %q", m.m.Text)
		}
	}
}
