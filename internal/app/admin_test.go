package app

import (
	"encoding/json"
	"strings"
	"testing"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/source/upravda/upravdatest"
)

// Admins see /stats, send a confirmed /broadcast that reaches every
// active reader once, and are told once when the site stops yielding.
func TestAdminStatsBroadcastAndDrift(t *testing.T) {
	w := newWorld(t, redistest.Start(t).URL())
	w.env["ADMIN_CHAT_IDS"] = "9001"
	w.env["EDITIONS"] = "en"
	w.site.Publish(article(8100001, news.English, "A story", news.Tag{Slug: "russia", Name: "Russia"}))
	start(t, w.env)
	w.waitPolls(t, 1)

	admin := w.reader(9001, "en")
	readers := []*reader{w.reader(9002, "uk"), w.reader(9003, "ru")}
	for _, r := range append(readers, admin) {
		r.say(t, "/start")
	}
	contains := func(what, got string, wants ...string) { mustContain(t, what, got, wants...) }
	contains("/help for an admin", admin.say(t, "/help").Text, "/broadcast")
	contains("/stats", admin.say(t, "/stats").Text, "Readers", "en", "last poll", "Russia (1)", "Delivery")
	contains("/stats by a reader", readers[0].say(t, "/stats").Text, "для операторів")

	confirm := admin.say(t, "/broadcast Maintenance <tonight> & tomorrow")
	contains("/broadcast confirmation", confirm.Text, "3 readers", "Maintenance &lt;tonight&gt; &amp; tomorrow")
	var kb struct {
		InlineKeyboard [][]struct {
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	json.Unmarshal(confirm.ReplyMarkup, &kb)
	if len(kb.InlineKeyboard) == 0 || kb.InlineKeyboard[0][0].CallbackData != "bc:yes" {
		t.Fatalf("no confirm button: %s", confirm.ReplyMarkup)
	}
	w.tg.PressButton(admin.user, admin.chat, confirm.MessageID, "bc:yes")
	waitFor(t, "the announcement to reach everyone", func() bool {
		for _, r := range append(readers, admin) {
			found := 0
			for _, s := range w.tg.SentTo(r.chat.ID) {
				if strings.Contains(s.Text, "Maintenance &lt;tonight&gt;") && s.Method == "sendMessage" && !strings.Contains(s.Text, "Send this") {
					found++
				}
			}
			if found != 1 {
				return false
			}
		}
		return true
	})
	w.waitQueueDrained(t)
	for _, r := range readers {
		count := 0
		for _, s := range w.tg.SentTo(r.chat.ID) {
			if strings.Contains(s.Text, "Maintenance") {
				count++
			}
		}
		if count != 1 {
			t.Errorf("reader %d got the announcement %d times", r.chat.ID, count)
		}
	}

	// The feed and the list page start answering garbage: after three
	// failing polls the admin is told, once.
	junk := upravdatest.Raw{ContentType: "application/rss+xml", Body: []byte("<rss><channel><item><title>broken")}
	w.site.Handle("/eng/rss/view_news/", junk)
	w.site.Handle("/eng/news/", upravdatest.Raw{ContentType: "text/html", Body: []byte("<html><body>nothing here</body></html>")})
	waitFor(t, "a drift alert", func() bool {
		for _, s := range w.tg.SentTo(admin.chat.ID) {
			if strings.Contains(s.Text, "Source problem") {
				return true
			}
		}
		return false
	})
	w.waitPolls(t, 3)
	alerts := 0
	for _, s := range w.tg.SentTo(admin.chat.ID) {
		if strings.Contains(s.Text, "Source problem") {
			alerts++
		}
	}
	if alerts != 1 {
		t.Errorf("the admin got %d drift alerts, want 1", alerts)
	}
	for _, r := range readers {
		for _, s := range w.tg.SentTo(r.chat.ID) {
			if strings.Contains(s.Text, "Source problem") {
				t.Errorf("reader %d got an admin alert", r.chat.ID)
			}
		}
	}
}
