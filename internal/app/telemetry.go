package app

import (
	"context"
	"time"

	"newsbot/bot"
	"newsbot/internal/delivery"
	"newsbot/internal/integrity"
	"newsbot/internal/metrics"
	"newsbot/internal/news"
	"newsbot/internal/poller"
	"newsbot/internal/source/upravda"
	"newsbot/internal/telegram"
)

// telemetry is the one observer of the parts: what the source, the
// poller, the store guard and delivery report becomes metrics, health for
// /readyz and alerts to the admins. Each package declares the Observer it
// calls; this type implements them all. The events are logged where they
// happen, never here.
type telemetry struct {
	ctx    context.Context // the process's: alerts are queued with it
	m      *metrics.Metrics
	h      *health
	alerts *bot.Alerts
}

var (
	_ upravda.Observer   = (*telemetry)(nil)
	_ poller.Observer    = (*telemetry)(nil)
	_ integrity.Observer = (*telemetry)(nil)
	_ delivery.Observer  = (*telemetry)(nil)
)

// Discovered counts the items a poll of the site found.
func (t *telemetry) Discovered(ed news.Lang, n int) {
	t.m.ArticlesDiscovered.WithLabelValues(string(ed)).Add(float64(n))
}

// DiscoverTook times a poll of the site.
func (t *telemetry) DiscoverTook(ed news.Lang, d time.Duration) {
	t.m.PollDuration.WithLabelValues(string(ed)).Observe(d.Seconds())
}

// LayerFailed counts a failure of a layer of the site.
func (t *telemetry) LayerFailed(ed news.Lang, layer string) {
	t.m.ExtractFailures.WithLabelValues(string(ed), layer).Inc()
}

// Drifted counts a drift and tells the admins (at most once per edition
// in bot.DriftAlertEvery).
func (t *telemetry) Drifted(a upravda.DriftAlert) {
	t.m.SourceDrift.WithLabelValues(string(a.Edition), a.Layer).Inc()
	t.alerts.Drift(t.ctx, a.Edition, a.Layer, a.Failures, a.Err)
}

// Polled records an edition's poll for the metrics and /readyz.
func (t *telemetry) Polled(ed news.Lang, announced int, err error) {
	if err != nil {
		t.m.PollErrors.WithLabelValues(string(ed)).Inc()
		return
	}
	t.h.polled()
	t.m.LastPoll.WithLabelValues(string(ed)).SetToCurrentTime()
	t.m.ArticlesAnnounced.WithLabelValues(string(ed)).Add(float64(announced))
}

// StoreLost counts a loss of store data, fails /readyz for a while and
// tells the admins.
func (t *telemetry) StoreLost(ctx context.Context, l integrity.Loss) {
	t.m.StoreDataLoss.Inc()
	t.h.storeLost()
	t.alerts.DataLoss(ctx, l.Reason)
}

// Delivered times an article from its discovery (its queueing) and from
// its publication, when the site gave one, to a reader.
func (t *telemetry) Delivered(sinceDiscovery, sincePublication time.Duration) {
	t.m.DeliveryLatency.Observe(sinceDiscovery.Seconds())
	if sincePublication >= 0 {
		t.m.PublishLatency.Observe(sincePublication.Seconds())
	}
}

// RateInForce shows the shared send rate in force (adaptive back-off).
func (t *telemetry) RateInForce(perSecond float64) { t.m.SendRateInForce.Set(perSecond) }

// DeadLettered counts a message given up on.
func (t *telemetry) DeadLettered() { t.m.DeadLetters.Inc() }

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

// RoleChanged shows in the metrics which singleton roles this replica
// holds.
func (t *telemetry) RoleChanged(role string, held bool) {
	v := 0.0
	if held {
		v = 1
	}
	t.m.RoleHeld.WithLabelValues(role).Set(v)
}

var _ delivery.RateObserver = (*telemetry)(nil)
