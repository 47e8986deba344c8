package app

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"newsbot/internal/config"
	"newsbot/internal/delivery"
	"newsbot/internal/i18n"
	"newsbot/internal/integrity"
	"newsbot/internal/news"
	"newsbot/internal/source/upravda"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
)

// adminService serves /stats and /broadcast and tells the admins about
// source drift. It implements bot.Admin.
type adminService struct {
	cfg    config.Config
	store  *store.Store
	engine *delivery.Engine
	cat    *i18n.Catalog
}

// Stats renders /stats: readers, top tags, queue, last polls.
func (a *adminService) Stats(ctx context.Context, lang news.Lang) (string, error) {
	active, inactive, perLang, err := a.store.CountChats(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>Readers</b>: %d active, %d inactive\n", active, inactive)
	for _, l := range news.Langs {
		fmt.Fprintf(&b, "  %s: %d\n", l, perLang[l])
	}
	for _, ed := range a.cfg.Editions {
		tags, _, err := a.store.TopTags(ctx, ed, 0, 5)
		if err != nil {
			return "", err
		}
		names := make([]string, len(tags))
		for i, t := range tags {
			names[i] = html.EscapeString(t.Name) + " (" + strconv.FormatInt(t.Count, 10) + ")"
		}
		last, _ := a.store.Meta(ctx, "last_poll:"+string(ed))
		if last == "" {
			last = "never"
		}
		fmt.Fprintf(&b, "\n<b>%s</b>: last poll %s\n  top tags: %s\n", ed, html.EscapeString(last), strings.Join(names, ", "))
	}
	qs, err := a.engine.Stats(ctx)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "\n<b>Delivery</b>\nwaiting: %d breaking, %d normal chats (%d messages), %d in flight\n",
		qs.Breaking, qs.Normal, qs.Pending, qs.InFlight)
	fmt.Fprintf(&b, "sent: %d messages, %d articles; 429s: %d; retried: %d; dead letters: %d",
		qs.Messages, qs.Delivered, qs.Floods, qs.Retried, qs.DeadLetters)
	if qs.Paused > 0 {
		fmt.Fprintf(&b, "\npaused after a 429 for %s", qs.Paused.Round(time.Second))
	}
	return b.String(), nil
}

// Recipients counts active readers.
func (a *adminService) Recipients(ctx context.Context) (int, error) {
	active, _, _, err := a.store.CountChats(ctx)
	return int(active), err
}

// Broadcast queues an announcement through the rate-limited queue.
func (a *adminService) Broadcast(ctx context.Context, text string) (int, error) {
	return a.engine.Broadcast(ctx, text)
}

// driftAlertEvery is how often at most the admins hear about one edition's
// source problems; every layer's failures are still logged and counted.
const driftAlertEvery = 6 * time.Hour

// driftAlert tells every admin that the site stopped yielding something:
// once per edition in driftAlertEvery, however many layers fail (one outage
// often breaks the feed and the list page together).
func (a *adminService) driftAlert(ctx context.Context, tg messageSender, log *slog.Logger, d upravda.DriftAlert) {
	log.Error("The source drifted: a layer keeps failing.", "edition", d.Edition, "layer", d.Layer, "failures", d.Failures, "err", d.Err)
	first, err := a.store.SetOnce(ctx, "alert:drift:"+string(d.Edition), driftAlertEvery)
	if err != nil || !first {
		return
	}
	errText := ""
	if d.Err != nil {
		errText = d.Err.Error()
	}
	a.alert(ctx, tg, log, func(lang news.Lang) string {
		return a.cat.T(lang, "admin.drift",
			"edition", string(d.Edition), "layer", html.EscapeString(d.Layer),
			"failures", strconv.Itoa(d.Failures), "error", html.EscapeString(errText))
	})
}

// lossAlert tells every admin that the store lost data (the guard has
// logged it already).
func (a *adminService) lossAlert(ctx context.Context, tg messageSender, log *slog.Logger, l integrity.Loss) {
	a.alert(ctx, tg, log, func(lang news.Lang) string {
		return a.cat.T(lang, "admin.dataloss", "reason", html.EscapeString(l.Reason))
	})
}

// messageSender sends one message: the engine's Replies (within the shared
// budget) or, before the engine exists, the client itself.
type messageSender interface {
	Send(ctx context.Context, m telegram.Message) (int, error)
}

// alert sends every admin a message rendered in the admin's language.
func (a *adminService) alert(ctx context.Context, tg messageSender, log *slog.Logger, render func(news.Lang) string) {
	for _, id := range a.cfg.AdminChatIDs {
		lang := news.English
		if c, err := a.store.Chat(ctx, id); err == nil && c.Lang.Valid() {
			lang = c.Lang
		}
		msg := telegram.Message{ChatID: id, Text: render(lang), ParseMode: "HTML", DisablePreview: true}
		if _, err := tg.Send(ctx, msg); err != nil {
			log.Warn("Unable to alert an admin.", "chat_id", id, "err", err)
		}
	}
}
