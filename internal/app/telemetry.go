package app

import (
	"context"
	"time"

	"newsbot/internal/metrics"
	"newsbot/internal/telegram"
)

// observedAPI wraps the Telegram client for the bot and the delivery
// engine: it counts and times sends by result, counts updates, and records
// every answer from the Bot API for /readyz.
type observedAPI struct {
	*telegram.Client
	m *metrics.Metrics
	h *health
}

func (o *observedAPI) seen(err error) {
	// Any answer, even an error one, shows the Bot API is reachable.
	switch telegram.KindOf(err) {
	case telegram.NetworkBeforeSend, telegram.NetworkAmbiguous, telegram.Server:
	default:
		o.h.apiAnswered()
	}
}

// Send sends, counts the result (replies and deliveries alike) and times
// the call.
func (o *observedAPI) Send(ctx context.Context, m telegram.Message) (int, error) {
	start := time.Now()
	id, err := o.Client.Send(ctx, m)
	o.m.SendLatency.Observe(time.Since(start).Seconds())
	result := "ok"
	if err != nil {
		result = telegram.KindOf(err).String()
	}
	o.m.Sends.WithLabelValues(result).Inc()
	o.seen(err)
	return id, err
}

// GetUpdates long-polls and records that the Bot API answered.
func (o *observedAPI) GetUpdates(ctx context.Context, offset int, timeout time.Duration, allowed []string) ([]telegram.Update, error) {
	us, err := o.Client.GetUpdates(ctx, offset, timeout, allowed)
	o.seen(err)
	if err == nil {
		for _, u := range us {
			countUpdate(o.m, u)
		}
	}
	return us, err
}
