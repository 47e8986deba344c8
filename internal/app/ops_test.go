package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/telegram/telegramtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const hookSecret = "test-secret_0123456789"

func postUpdate(t *testing.T, url, secret string, update string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(update))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The operator endpoint: health, readiness (which notices Redis going
// away), Prometheus metrics, and webhook mode with its secret and
// at-most-once handling.
func TestOperatorEndpointsAndWebhook(t *testing.T) {
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	w.site.Publish(article(8070001, news.English, "A story", news.Tag{Slug: "russia", Name: "Russia"}))
	addr := freeAddr(t)
	base := "http://" + addr
	w.env["HTTP_ADDR"] = addr
	w.env["TELEGRAM_WEBHOOK_URL"] = base + "/tg/hook"
	w.env["TELEGRAM_WEBHOOK_SECRET"] = hookSecret
	p := start(t, w.env)

	waitFor(t, "/healthz", func() bool { code, _ := get(t, base+"/healthz"); return code == 200 })
	waitFor(t, "/readyz", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })

	// Updates arrive through the webhook the bot registered.
	alice := w.reader(3001, "en")
	mustContain(t, "/start through the webhook", alice.say(t, "/start").Text, "Hello")

	hook := base + "/tg/hook"
	help := `{"update_id":987654,"message":{"message_id":5,"date":1764000000,"chat":{"id":3002,"type":"private"},` +
		`"from":{"id":3002,"is_bot":false,"first_name":"Bob","language_code":"en"},"text":"/help",` +
		`"entities":[{"type":"bot_command","offset":0,"length":5}]}}`
	if code := postUpdate(t, hook, "", help); code != http.StatusForbidden {
		t.Errorf("missing secret: status %d, want 403", code)
	}
	if code := postUpdate(t, hook, "wrong-secret", help); code != http.StatusForbidden {
		t.Errorf("wrong secret: status %d, want 403", code)
	}
	if n := len(w.tg.SentTo(3002)); n != 0 {
		t.Fatalf("a rejected update was handled: %d replies", n)
	}
	for i := 0; i < 3; i++ { // Telegram retries: the same update_id is handled once
		if code := postUpdate(t, hook, hookSecret, help); code != http.StatusOK {
			t.Errorf("right secret: status %d, want 200", code)
		}
	}
	// A barrier: one more update from the same chat, answered after the
	// first; a repeat that slipped through would show as a third reply.
	later := strings.Replace(strings.Replace(help, "987654", "987655", 1), `"message_id":5`, `"message_id":6`, 1)
	if code := postUpdate(t, hook, hookSecret, later); code != http.StatusOK {
		t.Errorf("right secret: status %d, want 200", code)
	}
	waitFor(t, "the replies", func() bool { return len(w.tg.SentTo(3002)) >= 2 })
	w.waitQueueDrained(t)
	if n := len(w.tg.SentTo(3002)); n != 2 {
		t.Errorf("two update_ids (one posted 3 times) were answered %d times, want 2", n)
	}

	// The command menu is localized.
	if cmds := w.tg.Commands("uk"); len(cmds) == 0 || cmds[0].Description != "Почати й обрати мову" {
		t.Errorf("uk command menu = %+v", cmds)
	}
	if cmds := w.tg.Commands(""); len(cmds) < 9 {
		t.Errorf("default command menu = %+v", cmds)
	}

	// Metrics parse with the Prometheus text parser and carry our families
	// (the poll's among them once a poll has finished).
	w.waitPolls(t, 1)
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics status %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	for _, name := range []string{"newsbot_sends_total", "newsbot_poll_duration_seconds", "newsbot_articles_discovered_total",
		"newsbot_last_successful_poll_timestamp_seconds", "newsbot_updates_total", "go_goroutines"} {
		if _, ok := families[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if f := families["newsbot_sends_total"]; f != nil {
		var ok float64
		for _, m := range f.Metric {
			if m.GetLabel()[0].GetValue() == "ok" {
				ok = m.GetCounter().GetValue()
			}
		}
		if ok < 2 {
			t.Errorf("newsbot_sends_total{result=\"ok\"} = %v, want at least 2", ok)
		}
	}

	// Redis goes away: not ready, but alive.
	srv.Stop()
	code, body = get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"redis"`) {
		t.Errorf("/readyz without Redis: %d %s", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz without Redis: %d", code)
	}
	var ready struct {
		Ready  bool
		Checks map[string]string
	}
	json.Unmarshal([]byte(body), &ready)
	if ready.Ready || ready.Checks["telegram"] != "ok" {
		t.Errorf("/readyz body = %+v", ready)
	}
	srv.Restart()
	p.stop(t)
	if strings.Contains(p.logs.String(), testToken) {
		t.Error("the token appears in the log")
	}
}

// The bot at debug level, with Bot API errors whose URLs embed the token,
// never writes the token.
func TestTokenNeverLogged(t *testing.T) {
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	w.tg.FailNext("sendMessage", 502, "<html>Bad gateway</html>", 2)
	w.tg.FailNext("getUpdates", 500, "Internal Server Error", 1)
	p := start(t, w.env)
	r := w.reader(4001, "en")
	w.tg.SendText(r.user, r.chat, "/help")
	w.tg.SendText(r.user, r.chat, "/help")
	r.say(t, "/help")
	p.stop(t)
	logs := p.logs.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Error("no debug lines: the test does not exercise debug logging")
	}
	secret := strings.SplitN(testToken, ":", 2)[1]
	for i, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, secret) {
			t.Errorf("log line %d holds the token: %s", i+1, line)
		}
	}
}

// Export, wipe, import: the same subscriptions and settings.
func TestExportWipeImport(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	st := store.New(srv.Client(), store.Options{})
	chats := []news.Chat{
		{ID: 1, Lang: news.Ukrainian, LangChosen: true, Breaking: true, Tags: []string{"russia", "sud"}, Keywords: []string{"north korea"}},
		{ID: 2, Lang: news.English, Tags: []string{"economy"}},
		{ID: -100200, Lang: news.Russian, Group: true, Inactive: true, Strikes: 3, Tags: []string{"oask"}},
	}
	for _, c := range chats {
		if _, err := st.UpdateChat(ctx, c.ID, func(s *news.Chat, _ bool) error { *s = c; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	before, err := st.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REDIS_URL": srv.URL(), "LOG_LEVEL": "error"}
	getenv := func(k string) string { return env[k] }
	var out, errs bytes.Buffer
	if code := Run(ctx, []string{"export"}, getenv, &out, &errs); code != 0 {
		t.Fatalf("export exited %d: %s", code, errs.String())
	}
	file := filepath.Join(t.TempDir(), "backup.json")
	if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"format": "newsbot-backup"`) && !strings.Contains(out.String(), `"format":"newsbot-backup"`) {
		t.Errorf("export is not a versioned backup: %.200s", out.String())
	}
	if err := srv.Client().FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if ids, _ := st.ChatIDs(ctx); len(ids) != 0 {
		t.Fatalf("wipe left %v", ids)
	}
	out.Reset()
	if code := Run(ctx, []string{"import", file}, getenv, &out, &errs); code != 0 {
		t.Fatalf("import exited %d: %s", code, errs.String())
	}
	after, err := st.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Chats, after.Chats); diff != "" {
		t.Errorf("chats after export, wipe, import (-want +got):\n%s", diff)
	}
	if ids, _ := st.Subscribers(ctx, news.Ukrainian, "sud"); len(ids) != 1 || ids[0] != 1 {
		t.Errorf("indexes not rebuilt by import: sud subscribers = %v", ids)
	}
	// A file that is not a backup is refused with a usage error.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"format":"something-else","version":1}`), 0o600)
	errs.Reset()
	if code := Run(ctx, []string{"import", bad}, getenv, &out, &errs); code != 2 || !strings.Contains(errs.String(), "bad.json") {
		t.Errorf("import of a foreign file: exit %d, %q", code, errs.String())
	}
}

// A SIGTERM in the middle of a broadcast loses nothing: the rest is sent
// after the restart, and nobody gets the story twice.
func TestShutdownDuringBroadcast(t *testing.T) {
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	w.tg.Close()
	w.tg = telegramtest.NewServer(telegramtest.Options{Token: testToken, GlobalRate: 30, ChatInterval: time.Second})
	t.Cleanup(w.tg.Close)
	w.env["TELEGRAM_API_URL"] = w.tg.URL()
	w.env["SEND_RATE"] = "30"

	const readers = 150
	ctx := context.Background()
	st := store.New(srv.Client(), store.Options{})
	for i := int64(1); i <= readers; i++ {
		if _, err := st.UpdateChat(ctx, 5000+i, func(c *news.Chat, _ bool) error {
			c.Lang, c.Tags = news.English, []string{"russia"}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	w.site.Publish(article(8080001, news.English, "Old", russia))
	p := start(t, w.env)
	w.waitPolls(t, 1)
	w.site.Publish(article(8080002, news.English, "Big story for everyone", russia))
	delivered := func() int {
		n := 0
		for _, s := range w.tg.Sent() {
			if strings.Contains(s.Text, "Big story for everyone") {
				n++
			}
		}
		return n
	}
	waitFor(t, "the broadcast to start", func() bool { return delivered() >= 20 })
	p.stop(t) // SIGTERM mid-broadcast
	atStop := delivered()
	if atStop >= readers {
		t.Fatalf("the broadcast finished before the stop (%d): the test proves nothing", atStop)
	}
	start(t, w.env)
	waitFor(t, "the rest of the broadcast", func() bool { return delivered() >= readers })
	w.waitQueueDrained(t)
	per := map[int64]int{}
	for _, s := range w.tg.Sent() {
		if strings.Contains(s.Text, "Big story for everyone") {
			per[s.ChatID]++
		}
	}
	for i := int64(1); i <= readers; i++ {
		if per[5000+i] != 1 {
			t.Errorf("reader %d got the story %d times", 5000+i, per[5000+i])
		}
	}
	t.Logf("delivered %d before the stop, %d after the restart", atStop, delivered()-atStop)
	if s := w.tg.Stats(); s.TooManyRequests != 0 {
		t.Errorf("the fake answered %d times 429 (global %d, chat %d)", s.TooManyRequests, s.FloodGlobal, s.FloodChat)
	}
}
