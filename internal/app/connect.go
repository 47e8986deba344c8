package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"newsbot/bot"
	"newsbot/internal/config"
	"newsbot/internal/i18n"
	"newsbot/internal/news"
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
			// Once per start, not on every /readyz ping: moves the data of
			// the key layout before hash tags (a no-op when there is none).
			_, err = st.UpgradeLayout(ctx)
		}
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
			rdb, oerr := store.Open(ctx, u)
			if oerr == nil {
				rdb.Close()
				return u, nil
			}
			err = oerr
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

// newSource returns the site's Source; obs may be nil (the commands).
func newSource(cfg config.Config, log *slog.Logger, obs upravda.Observer) (*upravda.Source, error) {
	return upravda.New(upravda.Config{
		BaseURL:       cfg.UpravdaBaseURL,
		Feeds:         cfg.Feeds,
		SummaryBudget: cfg.SummaryBudget,
		// After a 403/429/5xx the site is left alone for half a poll
		// interval first (30s at most), then twice as long each time.
		BackoffBase: min(30*time.Second, cfg.PollInterval/2),
		Logger:      log,
		Observer:    obs,
	})
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
