package app

import (
	"strings"
	"testing"
	"time"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/redistest"
)

// Updates pushed by webhook go through the same per-chat dispatcher and
// flood control as long polling (issue 10, item 2): while one chat floods
// 200 commands, another reader's /start is answered within 2 s, and the
// flooder is asked once to slow down. The fake Bot API posts the updates
// one at a time, each after the webhook's answer, as Telegram does.
func TestWebhookFloodingChatHoldsNoOneUp(t *testing.T) {
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	addr := freeAddr(t)
	base := "http://" + addr
	w.env["HTTP_ADDR"] = addr
	w.env["TELEGRAM_WEBHOOK_URL"] = base + "/tg/hook"
	w.env["TELEGRAM_WEBHOOK_SECRET"] = hookSecret
	start(t, w.env)
	waitFor(t, "/readyz", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })

	flooder := w.reader(4001, "en")
	mustContain(t, "/start through the webhook", flooder.say(t, "/start").Text, "Hello")
	began := time.Now()
	for range 200 {
		w.tg.SendText(flooder.user, flooder.chat, "/help")
	}
	other := w.reader(4002, "en")
	asked := time.Now()
	mustContain(t, "the other reader's /start", other.say(t, "/start").Text, "Hello")
	waited := time.Since(asked)
	t.Logf("200 commands queued in %v; the other reader's /start answered after %v", asked.Sub(began), waited)
	if waited > 2*time.Second {
		t.Errorf("the other reader's /start was answered after %v, want ≤ 2s", waited)
	}
	// The notice goes before the flooder's queued replies.
	slow := i18n.MustLoad().T(news.English, "flood.slow_down")
	flooder.next(t, 3) // /start's answer, then three more
	notices := 0
	for _, m := range w.tg.SentTo(flooder.chat.ID)[1:4] {
		if strings.Contains(m.Text, slow) {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("the flooding chat got %d slow-down notices among its first replies to the flood, want 1", notices)
	}
}
