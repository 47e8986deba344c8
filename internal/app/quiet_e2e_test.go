package app

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/telegram/telegramtest"
)

// shiftedClock is real time plus an offset the test moves forward.
type shiftedClock struct{ offset atomic.Int64 }

func (c *shiftedClock) now() time.Time           { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *shiftedClock) advance(by time.Duration) { c.offset.Add(int64(by)) }

// startClocked is start with the bot's clock set to now.
func startClocked(t *testing.T, env map[string]string, now func() time.Time) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(withClock(context.Background(), now))
	p := &process{cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	getenv := func(k string) string { return env[k] }
	go func() { p.done <- Run(ctx, []string{"run"}, getenv, p.logs, p.logs) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// quietCase is one language of TestQuietHoursEndToEnd.
type quietCase struct {
	lang           news.Lang
	war, sport     news.Tag
	quietHeader    string // the start of the quiet-hours digest
	dailyHeader    string // the start of the daily digest
	digestSetReply string // in the reply to /digest 8
}

var quietCases = []quietCase{
	{news.Ukrainian, news.Tag{Slug: "viyna", Name: "Війна"}, news.Tag{Slug: "sport", Name: "Спорт"},
		"🌙 Поки ви відпочивали: 3 матеріали", "📰 Ваш щоденний дайджест: 3 матеріали", "Щоденний дайджест о 08:00"},
	{news.Russian, news.Tag{Slug: "voyna", Name: "Война"}, news.Tag{Slug: "sport", Name: "Спорт"},
		"🌙 Пока вы отдыхали: 3 материала", "📰 Ваш ежедневный дайджест: 3 материала", "Ежедневный дайджест в 08:00"},
	{news.English, news.Tag{Slug: "war", Name: "War"}, news.Tag{Slug: "sport", Name: "Sport"},
		"🌙 While you were away: 3 stories", "📰 Your daily digest: 3 stories", "Daily digest at 08:00"},
}

// quietReaders are the readers of one language: live news, quiet hours,
// strict quiet hours and a daily digest, all following both tags and
// breaking alerts.
type quietReaders struct {
	live, sleeper, strict, daily *reader
	settings                     *reader  // tries /digest
	headlines                    []string // oldest first
	breaking                     string
}

// TestQuietHoursEndToEnd is issue 13's acceptance for quiet hours and the
// daily digest through app.Run, in uk, ru and en, against the fake Bot API
// and a real Redis, with the bot's clock moved by the test: three stories
// published during quiet hours are held; a breaking story rings at once
// (not in strict mode, nor held for the digest reader); the bot restarts
// during the quiet hours; when the clock passes their end (and the digest
// time) each chat gets its digest once: one message, newest first,
// grouped by tag.
func TestQuietHoursEndToEnd(t *testing.T) {
	clk := &shiftedClock{}
	w := newWorld(t, redistest.Start(t).URL())
	for i, c := range quietCases { // the tags exist before the readers follow them
		w.site.Publish(article(8090000+int64(i), c.lang, "Seed ("+string(c.lang)+")", c.war, c.sport))
	}
	p := startClocked(t, w.env, clk.now)
	w.waitPolls(t, 1)
	// Quiet from an hour ago to an hour from now, a digest in half an
	// hour, all in UTC.
	m := clk.now().UTC().Hour()*60 + clk.now().UTC().Minute()
	hhmm := func(m int) string { m = (m + 24*60) % (24 * 60); return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	quiet, digestAt := hhmm(m-60)+"-"+hhmm(m+60), hhmm(m+30)
	rs := make([]quietReaders, len(quietCases))
	cmds := make([]map[*reader][]string, len(quietCases))
	for i, c := range quietCases {
		rs[i], cmds[i] = setUpQuietReaders(w, i, c, quiet, digestAt)
	}
	for i, c := range quietCases {
		checkSetUp(t, rs[i], cmds[i], c, quiet, digestAt)
	}
	for i, c := range quietCases {
		for k, tag := range []news.Tag{c.war, c.sport, c.war} {
			h := fmt.Sprintf("%s %d (%s)", c.war.Name, k+1, c.lang)
			rs[i].headlines = append(rs[i].headlines, h)
			w.site.Publish(article(8090010+int64(10*i+k), c.lang, h, tag))
		}
	}
	for i, c := range quietCases {
		r := rs[i]
		waitFor(t, "the live reader's three stories", func() bool { return sawAll(r.live, r.headlines...) })
		rs[i].breaking = fmt.Sprintf("%s: breaking (%s)", c.war.Name, c.lang)
		a := article(8090019+int64(10*i), c.lang, rs[i].breaking, c.war)
		a.Important = true
		w.site.Publish(a)
	}
	for i, c := range quietCases {
		r := rs[i]
		for _, rd := range []*reader{r.live, r.sleeper, r.daily} {
			waitFor(t, "the breaking story", func() bool { return len(withText(rd, r.breaking)) == 1 })
			if s := withText(rd, r.breaking)[0]; s.Silent || len(withText(rd, r.headlines...)) > 0 && rd != r.live {
				t.Errorf("%s: chat %d: the breaking story rang: %v; held stories sent: %q", c.lang, rd.chat.ID, !s.Silent,
					plains(withText(rd, r.headlines...)))
			}
		}
	}
	// A restart during the quiet hours: nothing held has gone out.
	p.stop(t)
	for i, c := range quietCases {
		r := rs[i]
		if got := withText(r.strict, append(r.headlines, r.breaking)...); len(got) > 0 {
			t.Errorf("%s: in strict quiet hours the chat got %q", c.lang, plains(got))
		}
	}
	p2 := startClocked(t, w.env, clk.now)
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(p.logs.String()+p2.logs.String(), "\n") {
				if strings.Contains(l, "3003") || strings.Contains(l, "igest") {
					t.Log(l)
				}
			}
		}
	})
	w.waitPolls(t, 1)
	clk.advance(2 * time.Hour)
	for i, c := range quietCases {
		checkDigests(t, w, rs[i], c)
	}
}

// setUpQuietReaders makes the four readers of a language and sends their
// commands, without waiting for the answers (replies to a chat are paced).
func setUpQuietReaders(w *world, i int, c quietCase, quiet, digestAt string) (quietReaders, map[*reader][]string) {
	var r quietReaders
	cmds := map[*reader][]string{}
	for k, rd := range []**reader{&r.live, &r.sleeper, &r.strict, &r.daily} {
		*rd = w.reader(int64(3001+10*i+k), string(c.lang))
		cmds[*rd] = []string{"/language " + string(c.lang), "/subscribe " + c.war.Name, "/subscribe " + c.sport.Name,
			"/breaking on", "/timezone +0"}
	}
	cmds[r.sleeper] = append(cmds[r.sleeper], "/quiet "+quiet)
	cmds[r.strict] = append(cmds[r.strict], "/quiet "+quiet+" strict")
	cmds[r.daily] = append(cmds[r.daily], "/digest "+digestAt)
	// The settings of a digest, on a reader of their own (a chat's
	// replies are paced: the readers go in parallel).
	set := w.reader(int64(3005+10*i), string(c.lang))
	cmds[set] = []string{"/language " + string(c.lang), "/digest 8", "/digest", "/mysubs", "/digest off"}
	r.settings = set
	for rd, cs := range cmds {
		for _, cmd := range cs {
			w.tg.SendText(rd.user, rd.chat, cmd)
		}
	}
	return r, cmds
}

// checkSetUp waits for the answers to the readers' commands and checks
// those to /quiet and /digest.
func checkSetUp(t *testing.T, r quietReaders, cmds map[*reader][]string, c quietCase, quiet, digestAt string) {
	t.Helper()
	replies := map[*reader][]string{}
	for rd, cs := range cmds {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		sent, err := rd.w.tg.WaitSent(ctx, rd.chat.ID, len(cs))
		cancel()
		if err != nil {
			t.Fatalf("%s: chat %d: %d answers to %q: %v", c.lang, rd.chat.ID, len(sent), cs, err)
		}
		for _, s := range sent {
			replies[rd] = append(replies[rd], s.Text)
		}
	}
	mustContain(t, "/quiet reply", replies[r.sleeper][5], strings.ReplaceAll(quiet, "-", "–"))
	mustContain(t, "/quiet strict reply", replies[r.strict][5], strings.ReplaceAll(quiet, "-", "–"))
	mustContain(t, "/digest reply", replies[r.daily][5], digestAt)
	d := replies[r.settings][1:]
	mustContain(t, "/digest 8 reply", d[0], c.digestSetReply)
	mustContain(t, "/digest reply", d[1], "08:00")
	mustContain(t, "/mysubs with a digest", d[2], "08:00")
	if d[3] == d[0] || strings.Contains(d[3], "08:00") {
		t.Errorf("/digest off answered %q", d[3])
	}
}

// checkDigests waits for the digests of a language and checks them.
func checkDigests(t *testing.T, w *world, r quietReaders, c quietCase) {
	t.Helper()
	h := r.headlines
	for _, tc := range []struct {
		rd     *reader
		header string
		order  []string // newest first, grouped: war (3, 1), then sport (2)
	}{
		{r.sleeper, c.quietHeader, []string{c.war.Name, h[2], h[0], c.sport.Name, h[1]}},
		{r.strict, strings.Replace(c.quietHeader, "3", "4", 1), []string{c.war.Name, r.breaking, h[2], h[0], c.sport.Name, h[1]}},
		{r.daily, c.dailyHeader, []string{c.war.Name, h[2], h[0], c.sport.Name, h[1]}},
	} {
		waitFor(t, "a digest", func() bool { return len(withText(tc.rd, h...)) > 0 })
		w.waitQueueDrained(t)
		got := withText(tc.rd, h...)
		if tc.rd == r.strict {
			got = withText(tc.rd, append(h, r.breaking)...)
		}
		if len(got) != 1 {
			t.Errorf("%s: chat %d got %d messages with the held stories, want one digest: %q", c.lang, tc.rd.chat.ID, len(got), plains(got))
			continue
		}
		text := got[0].Plain
		if !strings.HasPrefix(text, tc.header) || !got[0].Silent {
			t.Errorf("%s: digest starts %q (silent %v), want %q, silent", c.lang, strings.SplitN(text, "\n", 2)[0], got[0].Silent, tc.header)
		}
		at := 0
		for _, s := range tc.order {
			k := strings.Index(text[at:], s)
			if k < 0 {
				t.Errorf("%s: digest lacks %q after position %d (newest first, grouped by tag):\n%s", c.lang, s, at, text)
				break
			}
			at += k + len(s)
		}
	}
}

// sawAll reports whether rd got every one of texts, in any messages.
func sawAll(rd *reader, texts ...string) bool {
	for _, x := range texts {
		if len(withText(rd, x)) == 0 {
			return false
		}
	}
	return true
}

// withText returns the messages to rd that show any of texts.
func withText(rd *reader, texts ...string) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, s := range rd.w.tg.SentTo(rd.chat.ID) {
		for _, x := range texts {
			if strings.Contains(s.Plain, x) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func plains(ss []telegramtest.Sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Plain
	}
	return out
}
