package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
)

// A Redis restored from a snapshot taken before a story was delivered has
// forgotten the story was seen: the bot notices the older copy and does
// not send the story again, and newer stories still arrive.
func TestRestoredOldSnapshotDoesNotResend(t *testing.T) {
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	w.env["EDITIONS"] = "en" // the other editions are empty: no drift alerts
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	w.site.Publish(article(8060001, news.English, "An older story", russia))
	p := start(t, w.env)
	w.waitPolls(t, 1)
	alice := w.reader(1101, "en")
	alice.say(t, "/start")
	alice.say(t, "/subscribe Russia")

	rdb := srv.Client()
	if err := rdb.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	snapshot, err := os.ReadFile(filepath.Join(srv.Dir(), "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	before := len(w.tg.SentTo(alice.chat.ID))
	w.site.Publish(article(8060010, news.English, "Russia story delivered before the restore", russia))
	mustContain(t, "the story", alice.next(t, before).Text, "delivered before the restore")
	w.waitPolls(t, 1)
	p.stop(t)

	srv.Stop()
	if err := os.WriteFile(filepath.Join(srv.Dir(), "dump.rdb"), snapshot, 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	delivered := len(w.tg.SentTo(alice.chat.ID))
	p = start(t, w.env)
	w.waitPolls(t, 3)
	for _, s := range w.tg.SentTo(alice.chat.ID)[delivered:] {
		t.Errorf("sent again after the restore: %q", s.Text)
	}
	mustContain(t, "log", p.logs.String(), "The store lost data", "older copy")

	w.site.Publish(article(8060020, news.English, "Russia story after the restore", russia))
	mustContain(t, "a newer story", alice.next(t, delivered).Text, "after the restore")
}

// A Redis without persistence that restarts empty is loud: an error in the
// log, a message to the admins, /readyz and a metric; and the stories the
// site still lists are not announced again.
func TestEmptiedRedisIsLoud(t *testing.T) {
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	w.env["EDITIONS"] = "en"
	addr := freeAddr(t)
	base := "http://" + addr
	w.env["HTTP_ADDR"] = addr
	w.env["ADMIN_CHAT_IDS"] = "9001"
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	w.site.Publish(article(8060001, news.English, "An older story", russia))
	p := start(t, w.env)
	w.waitPolls(t, 1)
	alice := w.reader(1201, "en")
	alice.say(t, "/start")
	alice.say(t, "/subscribe Russia")
	before := len(w.tg.SentTo(alice.chat.ID))
	w.site.Publish(article(8060010, news.English, "Russia story before the wipe", russia))
	alice.next(t, before)
	waitFor(t, "/readyz", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })

	srv.Restart() // no persistence: it comes back empty
	alice.say(t, "/start")
	alice.say(t, "/subscribe Russia")
	delivered := len(w.tg.SentTo(alice.chat.ID))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	alerts, err := w.tg.WaitSent(ctx, 9001, 1)
	if err != nil {
		t.Fatalf("no alert reached the admin: %v", err)
	}
	mustContain(t, "admin alert", alerts[0].Text, "lost data", "emptied")
	if len(alerts) != 1 {
		t.Errorf("the admin got %d alerts, want 1", len(alerts))
	}
	waitFor(t, "/readyz to fail", func() bool {
		code, body := get(t, base+"/readyz")
		return code == 503 && strings.Contains(body, "store_data")
	})
	_, metrics := get(t, base+"/metrics")
	mustContain(t, "metrics", metrics, "newsbot_store_data_loss_total 1")
	mustContain(t, "log", p.logs.String(), "level=ERROR", "The store lost data")

	w.waitPolls(t, 2)
	for _, s := range w.tg.SentTo(alice.chat.ID)[delivered:] {
		t.Errorf("announced again after the wipe: %q", s.Text)
	}
	w.site.Publish(article(8060020, news.English, "Russia story after the wipe", russia))
	mustContain(t, "a newer story", alice.next(t, delivered).Text, "after the wipe")
}
