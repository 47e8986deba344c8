package bot

import (
	"context"
	"html"
	"log/slog"
	"strconv"
	"time"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
)

// Notifier queues a notice for some chats, through the delivery queue and
// its limits; *delivery.Engine implements it.
type Notifier interface {
	Notify(ctx context.Context, chatIDs []int64, render func(news.Lang) string) (int, error)
}

// OnceStore tells whether a key is set for the first time within ttl;
// *store.Store implements it.
type OnceStore interface {
	SetOnce(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// DriftAlertEvery is how often at most the admins hear about one
// edition's source problems; every layer's failures are still logged and
// counted.
const DriftAlertEvery = 6 * time.Hour

// Alerts tells the admins (Config.AdminChatIDs) about trouble they must
// act on, each in the admin's language, through delivery like every other
// message. The events themselves are logged where they happen.
type Alerts struct {
	notify Notifier
	once   OnceStore
	cat    *i18n.Catalog
	admins []int64
	log    *slog.Logger
}

// NewAlerts returns the admins' alerts; with no admins they do nothing.
func NewAlerts(n Notifier, once OnceStore, cat *i18n.Catalog, admins []int64, log *slog.Logger) *Alerts {
	if log == nil {
		log = slog.Default()
	}
	return &Alerts{notify: n, once: once, cat: cat, admins: admins, log: log}
}

// Drift tells the admins that a layer of the site stopped yielding
// something: once per edition in DriftAlertEvery, however many layers fail
// (one outage often breaks the feed and the list page together).
func (a *Alerts) Drift(ctx context.Context, edition news.Lang, layer string, failures int, err error) {
	if len(a.admins) == 0 {
		return
	}
	first, serr := a.once.SetOnce(ctx, "alert:drift:"+string(edition), DriftAlertEvery)
	if serr != nil || !first {
		return
	}
	errText := ""
	if err != nil {
		errText = err.Error()
	}
	a.send(ctx, "drift", func(lang news.Lang) string {
		return a.cat.T(lang, "admin.drift",
			"edition", string(edition), "layer", html.EscapeString(layer),
			"failures", strconv.Itoa(failures), "error", html.EscapeString(errText))
	})
}

// DataLoss tells the admins that the store lost data.
func (a *Alerts) DataLoss(ctx context.Context, reason string) {
	if len(a.admins) == 0 {
		return
	}
	a.send(ctx, "data_loss", func(lang news.Lang) string {
		return a.cat.T(lang, "admin.dataloss", "reason", html.EscapeString(reason))
	})
}

func (a *Alerts) send(ctx context.Context, kind string, render func(news.Lang) string) {
	if _, err := a.notify.Notify(ctx, a.admins, render); err != nil {
		a.log.Warn("Unable to queue an alert for the admins.", "alert", kind, "err", err)
	}
}
