package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"newsbot/bot"
	"newsbot/internal/config"
	"newsbot/internal/delivery"
	"newsbot/internal/i18n"
	"newsbot/internal/integrity"
	"newsbot/internal/metrics"
	"newsbot/internal/poller"
	"newsbot/internal/queue"
	"newsbot/internal/roles"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
)

// parts are the bot's parts, built and connected to each other, not yet
// running: build makes them, run runs the long-lived ones, close releases
// what build opened.
type parts struct {
	cfg config.Config
	log *slog.Logger

	metrics *metrics.Metrics
	health  *health
	obs     *telemetry

	store      *store.Store
	closeStore func()
	client     *telegram.Client // the Bot API, for start-up calls
	catalog    *i18n.Catalog
	engine     *delivery.Engine
	bot        *bot.Bot
	poller     *poller.Poller
	roles      *roles.Manager

	ln      net.Listener // HTTP_ADDR; nil when off
	http    *http.Server // serves ln; nil when off
	webhook *webhook     // nil: long polling
}

// build makes the parts: it binds HTTP_ADDR first (a bad address stops
// the bot before any network call), then opens the store and checks the
// token (both retried until ctx ends), then wires the rest.
func build(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *parts, err error) {
	if cfg.WebhookURL != "" && cfg.HTTPAddr == "" {
		return nil, usageError{"config: TELEGRAM_WEBHOOK_URL needs HTTP_ADDR to receive updates"}
	}
	p := &parts{cfg: cfg, log: log, metrics: metrics.New(),
		health: &health{started: time.Now(), interval: cfg.PollInterval, now: time.Now}}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if cfg.HTTPAddr != "" {
		if p.ln, err = listenHTTP(cfg.HTTPAddr); err != nil {
			return nil, err
		}
	}
	log.Info("newsbot is starting.", "version", version(), "editions", cfg.Editions, "poll_interval", cfg.PollInterval)
	if p.store, p.closeStore, err = openStore(ctx, cfg, log, false); err != nil {
		return nil, err
	}
	if p.client, err = connectTelegram(ctx, cfg, log); err != nil {
		return nil, err
	}
	p.health.apiAnswered()
	log.Info("Connected to the Bot API.", "bot", p.client.Self().UserName)
	if p.catalog, err = i18n.Load(); err != nil {
		return nil, err
	}
	if err := p.wire(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// wire builds delivery, the bot, the source, the store guard, the poller
// and the HTTP endpoint on the opened store and Bot API. ctx is the
// process's: admin alerts and webhook updates are handled with it.
func (p *parts) wire(ctx context.Context) error {
	cfg, log, st := p.cfg, p.log, p.store
	p.obs = &telemetry{ctx: ctx, m: p.metrics, h: p.health}
	tg := &observedAPI{Client: p.client, m: p.metrics, h: p.health}
	engine, err := delivery.New(delivery.Config{
		Rate: cfg.SendRate, PaidBroadcast: cfg.PaidBroadcast, PaidRate: cfg.PaidRate,
		StrikeLimit: cfg.StrikeLimit, Lease: cfg.DeliveryLease, Logger: log, Observer: p.obs, Now: clockOf(ctx),
	}, st, queue.New(st.Client(), st.Key("delivery")), tg, bot.NewRenderer(p.catalog))
	if err != nil {
		return err
	}
	p.engine = engine
	p.metrics.SendRateInForce.Set(engine.RateInForce())
	p.obs.alerts = bot.NewAlerts(engine, st, p.catalog, cfg.AdminChatIDs, log)
	admin := &adminService{editions: cfg.Editions, store: st, engine: engine}
	// Replies, edits and button answers draw from the engine's shared budget.
	p.bot = bot.New(engine.Replies(tg), st, admin, p.catalog, bot.Config{
		UserName: p.client.Self().UserName, AdminChatIDs: cfg.AdminChatIDs, Logger: log, Now: clockOf(ctx),
		Channels: p.client,      // reads only: getChat and getChatMember take no send budget
		ClaimTTL: cfg.RoleLease, // a dead replica's updates in hand are handled within one lease
	})
	src, err := newSource(cfg, log, p.obs)
	if err != nil {
		return err
	}
	guard := integrity.New(st, integrity.Config{
		Path: filepath.Join(cfg.DataDir, "store-identity.json"), Logger: log, Observer: p.obs,
	})
	p.poller = poller.New(src, st, engine, poller.Config{
		Editions: cfg.Editions, Interval: cfg.PollInterval, Logger: log, Guard: guard, Observer: p.obs,
		Watcher: st, Follower: engine,
	})
	p.roles = roles.New(st, roles.Config{Lease: cfg.RoleLease, Logger: log, OnChange: p.obs.RoleChanged})
	p.health.roles = p.roles.Held
	hookPath := ""
	if cfg.WebhookURL != "" {
		secret := cmp.Or(cfg.WebhookSecret, randomSecret())
		u, _ := url.Parse(cfg.WebhookURL) // validated by config
		hookPath = "POST " + cmp.Or(u.Path, "/")
		p.webhook = &webhook{secret: secret, bot: p.bot, dedupe: st, log: log, metrics: p.metrics, ctx: ctx}
	}
	if p.ln != nil {
		var hook http.Handler
		if p.webhook != nil {
			hook = p.webhook
		}
		p.http = httpServer(cfg.HTTPAddr, p.health, st, p.metrics, hookPath, hook)
	}
	return nil
}

// close releases what build opened: the listener (a no-op once the server
// has shut down) and the store (saving the embedded one).
func (p *parts) close() {
	if p.ln != nil {
		p.ln.Close()
	}
	if p.closeStore != nil {
		p.closeStore()
	}
}

// setUpTelegram publishes the command menu (every replica: it is
// idempotent). The webhook is set, or deleted before long polling, by the
// replica that holds the role.
func (p *parts) setUpTelegram(ctx context.Context) error {
	setCommands(ctx, p.client, p.catalog, p.log)
	return nil
}

// setWebhook sets the webhook once, by the holder of the "webhook" role,
// then holds the role until ctx ends (a new holder sets it again, which
// is harmless).
func (p *parts) setWebhook(ctx context.Context) error {
	if err := p.client.SetWebhook(ctx, p.cfg.WebhookURL, p.webhook.secret, bot.AllowedUpdates); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("app: unable to set the webhook: %w", err)
	}
	u, _ := url.Parse(p.cfg.WebhookURL)
	p.log.Info("Webhook mode: Telegram posts updates to TELEGRAM_WEBHOOK_URL.", "path", u.Path)
	<-ctx.Done()
	return nil
}
