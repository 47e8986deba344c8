package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
)

// A bad setting stops the bot at once with one line naming the variable
// and exit status 2.
func TestBadConfigurationExits2(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "TELEGRAM_BOT_TOKEN is required"},
		{map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "POLL_INTERVAL": "often"}, "POLL_INTERVAL"},
		{map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "REDIS_URL": "http://x"}, "REDIS_URL"},
		{map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "EDITIONS": "pl"}, "EDITIONS"},
	}
	for _, tt := range tests {
		var out, errs bytes.Buffer
		code := Run(context.Background(), nil, func(k string) string { return tt.env[k] }, &out, &errs)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.env, code)
		}
		if msg := strings.TrimSpace(errs.String()); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
			t.Errorf("%v: stderr %q, want one line naming %s", tt.env, msg, tt.want)
		}
	}
}

func TestUsageAndVersion(t *testing.T) {
	var out, errs bytes.Buffer
	if code := Run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, &errs); code != 0 {
		t.Errorf("--help exit %d", code)
	}
	for _, want := range []string{"newsbot inspect", "TELEGRAM_BOT_TOKEN", "POLL_INTERVAL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	out.Reset()
	Run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &errs)
	if !strings.HasPrefix(out.String(), "newsbot ") {
		t.Errorf("version printed %q", out.String())
	}
	if code := Run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errs); code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
}

// Telegram answering 401 is a clear, fatal error (exit 1), not a retry loop.
func TestRejectedTokenIsFatal(t *testing.T) {
	w := newWorld(t, redistest.Start(t).URL())
	w.env["TELEGRAM_BOT_TOKEN"] = "987654321:ThisTokenIsNotTheOneTheFakeAccepts"
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), nil, func(k string) string { return w.env[k] }, &logs, &logs)
	}()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the bot kept running with a rejected token")
	}
	if !strings.Contains(logs.String(), "rejected TELEGRAM_BOT_TOKEN") {
		t.Errorf("log does not explain the 401: %s", logs.String())
	}
	if strings.Contains(logs.String(), "ThisTokenIsNotTheOneTheFakeAccepts") {
		t.Error("the rejected token appears in the log")
	}
}

// Redis that is not there yet: the bot waits and retries, then starts.
func TestWaitsForRedis(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	w := newWorld(t, srv.URL())
	p := start(t, w.env)
	waitFor(t, "a retry logged while Redis is down", func() bool {
		return strings.Count(p.logs.String(), "Redis is unreachable; retrying.") >= 2
	})
	select {
	case code := <-p.done:
		t.Fatalf("the bot exited (%d) instead of waiting for Redis", code)
	default:
	}
	srv.Restart()
	r := w.reader(6001, "en")
	mustContain(t, "/help once Redis is up", r.say(t, "/help").Text, "/subscribe")
}

// The site down or answering garbage: polls fail and are retried, readers'
// commands keep working, and news flows again when the site recovers.
func TestSiteDownCommandsKeepWorking(t *testing.T) {
	w := newWorld(t, redistest.Start(t).URL())
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	w.site.Publish(article(8090001, news.English, "Before the outage", russia))
	start(t, w.env)
	w.waitPolls(t, 1)
	r := w.reader(7001, "en")
	r.say(t, "/subscribe Russia")

	w.site.Fail("/eng/rss/view_news/", 500, -1)
	w.site.Fail("/eng/news/", 500, -1)
	w.site.Publish(article(8090002, news.English, "During the outage", russia))
	w.waitPolls(t, 2) // two polls against the failing site
	mustContain(t, "/latest while the site is down", r.say(t, "/latest").Text, "Before the outage")
	for _, s := range w.tg.SentTo(r.chat.ID) {
		if strings.Contains(s.Text, "During the outage") {
			t.Fatal("an article was announced while its feed failed")
		}
	}
	w.site.Fail("/eng/rss/view_news/", 0, 0)
	w.site.Fail("/eng/news/", 0, 0)
	n := len(w.tg.SentTo(r.chat.ID))
	msg := r.next(t, n)
	mustContain(t, "announcement after the outage", msg.Text, "During the outage")
}
