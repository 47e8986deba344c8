package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"newsbot/internal/config"
)

// runBot builds the bot and runs it until ctx ends.
func runBot(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	p, err := build(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting for Redis or the Bot API
		}
		return err
	}
	defer p.close()
	defer p.bot.WaitInline() // inline answers in flight finish (each is bounded by its own timeout)
	return p.run(ctx)
}

// part is a long-lived part of the bot: run returns once its context
// ends, or with an error that stops the bot.
type part struct {
	name string
	run  func(ctx context.Context) error
}

// longLived lists the parts run runs. The singleton parts run on one
// replica at a time, each under its role's lease: the site poller, and the
// update loop in long-polling mode (or, in webhook mode, the setting of
// the webhook). Every replica sends, serves HTTP and, in webhook mode,
// receives updates.
func (p *parts) longLived() []part {
	var ps []part
	if p.webhook == nil {
		ps = append(ps, p.singleton("updates", func(ctx context.Context) error {
			if err := p.client.DeleteWebhook(ctx); err != nil {
				p.log.Warn("Unable to delete a webhook before long polling.", "err", err)
			}
			return p.bot.Poll(ctx)
		}))
	} else {
		ps = append(ps, p.singleton("webhook", p.setWebhook))
	}
	ps = append(ps,
		p.singleton("poller", p.poller.Run),
		part{"delivery", p.engine.Run},
		part{"gauges", p.sampleGauges},
	)
	if p.http != nil {
		ps = append(ps, part{"http", p.serveHTTP})
	}
	return ps
}

// singleton is a part that runs only while this replica holds its role.
func (p *parts) singleton(role string, run func(ctx context.Context) error) part {
	return part{role, func(ctx context.Context) error {
		return p.roles.Run(ctx, role, func(ctx context.Context, _ int64) error { return run(ctx) })
	}}
}

// run sets up Telegram (menu, webhook) and runs the long-lived parts under
// one errgroup until ctx ends or a part fails, then shuts down within
// SHUTDOWN_TIMEOUT: updates and polls stop, in-flight sends finish or go
// back to the queue. It returns the first part's error, if any.
func (p *parts) run(ctx context.Context) error {
	if err := p.setUpTelegram(ctx); err != nil {
		return err
	}
	ps := p.longLived()
	g, gctx := errgroup.WithContext(ctx)
	failed := make(chan error, len(ps))
	for _, pt := range ps {
		g.Go(func() error {
			if err := pt.run(gctx); err != nil {
				err = fmt.Errorf("app: %s: %w", pt.name, err)
				failed <- err
				return err
			}
			return nil
		})
	}
	p.log.Info("newsbot is running.")
	var runErr error
	select {
	case <-ctx.Done():
		p.log.Info("Shutting down.", "timeout", p.cfg.ShutdownTimeout)
	case runErr = <-failed:
		// The error itself is logged once, by Run, which gets it back.
		p.log.Warn("A part of the bot failed; shutting down.", "timeout", p.cfg.ShutdownTimeout)
	}
	done := make(chan struct{})
	go func() { g.Wait(); close(done) }()
	select {
	case <-done:
		if runErr == nil {
			p.log.Info("newsbot stopped cleanly.")
		}
	case <-time.After(p.cfg.ShutdownTimeout):
		p.log.Error("Shutdown timed out; unfinished sends stay queued for the next start.", "timeout", p.cfg.ShutdownTimeout)
	}
	return runErr
}

// gaugeEvery is how often the queue and subscriber gauges are refreshed.
const gaugeEvery = 15 * time.Second

// sampleGauges refreshes the queue and subscriber gauges every gaugeEvery
// until ctx ends.
func (p *parts) sampleGauges(ctx context.Context) error {
	t := time.NewTicker(gaugeEvery)
	defer t.Stop()
	m := p.metrics
	for {
		if qs, err := p.engine.Stats(ctx); err == nil {
			m.QueueDepth.WithLabelValues("breaking").Set(float64(qs.Breaking))
			m.QueueDepth.WithLabelValues("normal").Set(float64(qs.Normal))
		} else if ctx.Err() == nil {
			m.RedisErrors.Inc()
			p.log.Debug("Unable to sample the queue.", "err", err)
		}
		if active, inactive, _, err := p.store.CountChats(ctx); err == nil {
			m.Subscribers.WithLabelValues("active").Set(float64(active))
			m.Subscribers.WithLabelValues("inactive").Set(float64(inactive))
		} else if ctx.Err() == nil {
			m.RedisErrors.Inc()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// httpShutdownTimeout bounds the wait for in-flight HTTP requests.
const httpShutdownTimeout = 5 * time.Second

// serveHTTP serves the operator endpoint (and the webhook) on HTTP_ADDR
// until ctx ends, then waits up to httpShutdownTimeout for requests in
// flight.
func (p *parts) serveHTTP(ctx context.Context) error {
	p.log.Info("Serving health, readiness and metrics.", "addr", p.ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- p.http.Serve(p.ln) }()
	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
	defer cancel()
	p.http.Shutdown(sctx)
	if p.webhook != nil {
		p.bot.WaitDispatched(sctx) // the updates it took are handled
	}
	return nil
}
