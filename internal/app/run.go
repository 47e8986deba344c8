package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/bot"
	"newsbot/internal/config"
	"newsbot/internal/delivery"
	"newsbot/internal/i18n"
	"newsbot/internal/integrity"
	"newsbot/internal/metrics"
	"newsbot/internal/news"
	"newsbot/internal/poller"
	"newsbot/internal/queue"
	"newsbot/internal/source/upravda"
	"newsbot/internal/store"
	"newsbot/internal/store/embedded"
	"newsbot/internal/telegram"
)

// openStore connects to Redis, or starts the embedded store when REDIS_URL
// is empty. An unreachable Redis is retried with backoff until ctx ends:
// the process waits instead of crash-looping. close releases everything
// (and saves the embedded store).
//
// The embedded store's DATA_DIR has one owner. When another newsbot holds
// it, a bot (shared false) refuses to start; a command (shared true:
// export, import) works through the running bot's store instead, so what
// it reads is live and what it writes is kept.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, shared bool) (st *store.Store, closeFn func(), err error) {
	store.RouteDriverLogs(log)
	url := cfg.RedisURL
	var emb *embedded.Server
	if cfg.Embedded() {
		emb, err = embedded.Start(ctx, embedded.Options{DataDir: cfg.DataDir, SaveEvery: cfg.SaveInterval, Prefix: cfg.RedisPrefix, Logger: log})
		switch {
		case errors.Is(err, embedded.ErrLocked) && shared:
			if url, err = liveStoreURL(ctx, cfg.DataDir); err != nil {
				return nil, nil, err
			}
			log.Info("DATA_DIR belongs to a running newsbot: working through its store.", "data_dir", cfg.DataDir)
		case errors.Is(err, embedded.ErrLocked):
			return nil, nil, fmt.Errorf("app: another newsbot is running on DATA_DIR %s; stop it first, or give this one its own DATA_DIR or a REDIS_URL: %w", cfg.DataDir, err)
		case err != nil:
			return nil, nil, fmt.Errorf("app: unable to start the embedded store: %w", err)
		default:
			url = emb.URL()
			log.Info("REDIS_URL is empty: using the embedded store in DATA_DIR.", "data_dir", cfg.DataDir, "save_every", cfg.SaveInterval)
		}
	}
	closeEmb := func() {
		if emb != nil {
			if err := emb.Close(); err != nil {
				log.Error("Unable to save the embedded store.", "err", err)
			}
		}
	}
	rdb, err := store.NewClient(url)
	if err != nil {
		closeEmb()
		return nil, nil, fmt.Errorf("app: REDIS_URL: %w", err)
	}
	st = store.New(rdb, store.Options{Prefix: cfg.RedisPrefix, Logger: log, WatchWindow: cfg.WatchWindow,
		ArticleTTL: cfg.StoryRetention})
	closeFn = func() {
		rdb.Close()
		closeEmb()
	}
	backoff := time.Second
	for {
		err := st.Ping(ctx)
		if err == nil {
			return st, closeFn, nil
		}
		if ctx.Err() != nil {
			closeFn()
			return nil, nil, ctx.Err()
		}
		log.Error("Redis is unreachable; retrying.", "err", err, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			closeFn()
			return nil, nil, ctx.Err()
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// liveWait is how long a command waits for the store of a bot that holds
// DATA_DIR (it may be starting: loading, replaying its journal).
const liveWait = 10 * time.Second

// liveStoreURL returns the URL of the running bot's embedded store once it
// answers, or an error saying what to do.
func liveStoreURL(ctx context.Context, dataDir string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, liveWait)
	defer cancel()
	var last error
	for {
		u, err := embedded.LiveURL(dataDir)
		if err == nil {
			var rdb redis.UniversalClient
			if rdb, err = store.Open(ctx, u); err == nil {
				rdb.Close()
				return u, nil
			}
		}
		last = err
		if !sleep(ctx, 100*time.Millisecond) {
			return "", fmt.Errorf("app: DATA_DIR %s belongs to a running newsbot whose store did not answer within %s; try again once it has started, or stop it: %w", dataDir, liveWait, last)
		}
	}
}

// connectTelegram checks the token with getMe. A rejected token is fatal;
// network trouble is retried with backoff.
func connectTelegram(ctx context.Context, cfg config.Config, log *slog.Logger) (*telegram.Client, error) {
	backoff := time.Second
	for {
		c, err := telegram.New(ctx, telegram.Config{Token: cfg.TelegramToken, APIURL: cfg.TelegramAPIURL, Logger: log})
		if err == nil {
			return c, nil
		}
		if telegram.KindOf(err) == telegram.Unauthorized {
			return nil, fmt.Errorf("app: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized); check the token from @BotFather: %w", err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		log.Error("The Bot API is unreachable; retrying.", "api_url", cfg.TelegramAPIURL, "err", err, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			return nil, ctx.Err()
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func newSource(cfg config.Config, log *slog.Logger, hooks upravda.Hooks) (*upravda.Source, error) {
	return upravda.New(upravda.Config{
		BaseURL:       cfg.UpravdaBaseURL,
		Feeds:         cfg.Feeds,
		SummaryBudget: cfg.SummaryBudget,
		// After a 403/429/5xx the site is left alone for half a poll
		// interval first (30s at most), then twice as long each time.
		BackoffBase: min(30*time.Second, cfg.PollInterval/2),
		Logger:      log,
		Hooks:       hooks,
	})
}

// runBot runs the bot until ctx ends, then shuts down within
// SHUTDOWN_TIMEOUT: updates and polls stop, in-flight sends finish or go
// back to the queue, the embedded store is saved.
func runBot(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.WebhookURL != "" && cfg.HTTPAddr == "" {
		return usageError{"config: TELEGRAM_WEBHOOK_URL needs HTTP_ADDR to receive updates"}
	}
	var ln net.Listener
	if cfg.HTTPAddr != "" {
		l, err := listenHTTP(cfg.HTTPAddr)
		if err != nil {
			return err
		}
		ln = l
		defer ln.Close() // a no-op once the server has shut down
	}
	log.Info("newsbot is starting.", "version", version(), "editions", cfg.Editions, "poll_interval", cfg.PollInterval)
	m := metrics.New()
	h := &health{started: time.Now(), interval: cfg.PollInterval, now: time.Now}

	st, closeStore, err := openStore(ctx, cfg, log, false)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer closeStore()

	client, err := connectTelegram(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	h.apiAnswered()
	tg := &observedAPI{Client: client, m: m, h: h}
	log.Info("Connected to the Bot API.", "bot", client.Self().UserName)

	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	engine, err := delivery.New(delivery.Config{
		Rate:          cfg.SendRate,
		PaidBroadcast: cfg.PaidBroadcast,
		PaidRate:      cfg.PaidRate,
		StrikeLimit:   cfg.StrikeLimit,
		Logger:        log,
		Hooks: delivery.Hooks{
			OnLatency: func(discovered, published time.Duration) {
				m.DeliveryLatency.Observe(discovered.Seconds())
				if published >= 0 {
					m.PublishLatency.Observe(published.Seconds())
				}
			},
			OnDeadLetter: func() { m.DeadLetters.Inc() },
		},
	}, st, queue.New(st.Client(), st.Key("delivery")), tg, bot.NewRenderer(cat))
	if err != nil {
		return err
	}
	admin := &adminService{cfg: cfg, store: st, engine: engine, cat: cat}
	b := bot.New(tg, st, admin, cat, bot.Config{
		UserName: client.Self().UserName, AdminChatIDs: cfg.AdminChatIDs, Logger: log,
	})
	src, err := newSource(cfg, log, upravda.Hooks{
		OnDiscovered: func(ed news.Lang, n int) { m.ArticlesDiscovered.WithLabelValues(string(ed)).Add(float64(n)) },
		OnLayerFailure: func(ed news.Lang, layer string) {
			m.ExtractFailures.WithLabelValues(string(ed), layer).Inc()
		},
		OnPollDuration: func(ed news.Lang, d time.Duration) { m.PollDuration.WithLabelValues(string(ed)).Observe(d.Seconds()) },
		OnDrift: func(a upravda.DriftAlert) {
			m.SourceDrift.WithLabelValues(string(a.Edition), a.Layer).Inc()
			admin.driftAlert(ctx, client, log, a)
		},
	})
	if err != nil {
		return err
	}
	guard := integrity.New(st, integrity.Config{
		Path: filepath.Join(cfg.DataDir, "store-identity.json"), Logger: log,
		OnLoss: func(ctx context.Context, l integrity.Loss) {
			m.StoreDataLoss.Inc()
			h.storeLost()
			admin.lossAlert(ctx, client, log, l)
		},
	})
	pl := poller.New(src, st, engine, poller.Config{
		Editions: cfg.Editions, Interval: cfg.PollInterval, Logger: log, Guard: guard,
		Watcher: st, Follower: engine,
		OnPoll: func(ed news.Lang, announced int, err error) {
			if err != nil {
				m.PollErrors.WithLabelValues(string(ed)).Inc()
				return
			}
			h.polled()
			m.LastPoll.WithLabelValues(string(ed)).SetToCurrentTime()
			m.ArticlesAnnounced.WithLabelValues(string(ed)).Add(float64(announced))
		},
	})

	setCommands(ctx, client, cat, log)

	var hook http.Handler
	hookPath := ""
	if cfg.WebhookURL != "" {
		secret := cfg.WebhookSecret
		if secret == "" {
			secret = randomSecret()
		}
		u, _ := url.Parse(cfg.WebhookURL) // validated by config
		hookPath = "POST " + cmp.Or(u.Path, "/")
		hook = &webhook{secret: secret, bot: b, dedupe: st, log: log, metrics: m, ctx: ctx}
		if err := client.SetWebhook(ctx, cfg.WebhookURL, secret, bot.AllowedUpdates); err != nil {
			return fmt.Errorf("app: unable to set the webhook: %w", err)
		}
		log.Info("Webhook mode: Telegram posts updates to TELEGRAM_WEBHOOK_URL.", "path", u.Path)
	} else if err := client.DeleteWebhook(ctx); err != nil {
		log.Warn("Unable to delete a webhook before long polling.", "err", err)
	}
	if ln != nil {
		defer serveHTTP(ctx, ln, httpServer(cfg.HTTPAddr, h, st, m, hookPath, hook), log)()
	}
	go sampleGauges(ctx, st, engine, m, log)

	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	run := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				errs <- fmt.Errorf("app: %s: %w", name, err)
			}
		}()
	}
	if hook == nil {
		run("updates", func() error { return b.Poll(runCtx) })
	}
	run("poller", func() error { return pl.Run(runCtx) })
	run("delivery", func() error { return engine.Run(runCtx) })
	log.Info("newsbot is running.")

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("Shutting down.", "timeout", cfg.ShutdownTimeout)
	case runErr = <-errs:
		log.Error("A part of the bot failed; shutting down.", "err", runErr)
	}
	cancelRun()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		log.Info("newsbot stopped cleanly.")
	case <-time.After(cfg.ShutdownTimeout):
		log.Error("Shutdown timed out; unfinished sends stay queued for the next start.", "timeout", cfg.ShutdownTimeout)
	}
	return runErr
}

// sampleGauges refreshes the queue and subscriber gauges every 15 seconds.
func sampleGauges(ctx context.Context, st *store.Store, engine *delivery.Engine, m *metrics.Metrics, log *slog.Logger) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		if qs, err := engine.Stats(ctx); err == nil {
			m.QueueDepth.WithLabelValues("breaking").Set(float64(qs.Breaking))
			m.QueueDepth.WithLabelValues("normal").Set(float64(qs.Normal))
		} else if ctx.Err() == nil {
			m.RedisErrors.Inc()
			log.Debug("Unable to sample the queue.", "err", err)
		}
		if active, inactive, _, err := st.CountChats(ctx); err == nil {
			m.Subscribers.WithLabelValues("active").Set(float64(active))
			m.Subscribers.WithLabelValues("inactive").Set(float64(inactive))
		} else if ctx.Err() == nil {
			m.RedisErrors.Inc()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// setCommands publishes the bot's command menu in each language.
func setCommands(ctx context.Context, tg *telegram.Client, cat *i18n.Catalog, log *slog.Logger) {
	for _, l := range append([]news.Lang{""}, news.Langs...) {
		lang := l
		if lang == "" {
			lang = news.English // the default menu, for every other language
		}
		if err := tg.SetMyCommands(ctx, bot.MenuCommands(cat, lang), string(l)); err != nil {
			log.Warn("Unable to set the command menu.", "language_code", string(l), "err", err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
