// Package metrics defines newsbot's Prometheus metrics on a registry of its
// own, and the HTTP handler that serves them.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every metric newsbot exports.
type Metrics struct {
	Registry *prometheus.Registry

	ArticlesDiscovered *prometheus.CounterVec   // edition
	ArticlesAnnounced  *prometheus.CounterVec   // edition
	ExtractFailures    *prometheus.CounterVec   // edition, layer
	SourceDrift        *prometheus.CounterVec   // edition, layer
	PollDuration       *prometheus.HistogramVec // edition
	PollErrors         *prometheus.CounterVec   // edition
	LastPoll           *prometheus.GaugeVec     // edition: unix time of the last successful poll
	Sends              *prometheus.CounterVec   // result: ok, flood, blocked, …
	SendLatency        prometheus.Histogram
	SendRateInForce    prometheus.Gauge     // the shared free rate in force, messages a second
	DeliveryLatency    prometheus.Histogram // discovery (queueing) to delivery
	PublishLatency     prometheus.Histogram // the site's publication time to delivery
	DeadLetters        prometheus.Counter
	QueueDepth         *prometheus.GaugeVec // priority
	Subscribers        *prometheus.GaugeVec // state: active, inactive
	RedisErrors        prometheus.Counter
	StoreDataLoss      prometheus.Counter     // detected losses of the store's data
	RoleHeld           *prometheus.GaugeVec   // role: 1 while this replica holds it
	Updates            *prometheus.CounterVec // kind: message, callback_query, my_chat_member
}

// New registers every metric on a fresh registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	m := &Metrics{Registry: r}
	m.ArticlesDiscovered = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newsbot", Name: "articles_discovered_total",
		Help: "New articles found on the site, per edition."}, []string{"edition"})
	m.ArticlesAnnounced = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newsbot", Name: "articles_announced_total",
		Help: "Articles handed to delivery, per edition."}, []string{"edition"})
	m.ExtractFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newsbot", Name: "extraction_failures_total",
		Help: "Failures of a source layer (feed, list page, article markup), per edition and layer."}, []string{"edition", "layer"})
	m.SourceDrift = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newsbot", Name: "source_drift_alerts_total",
		Help: "Times a source layer failed often enough in a row to alert the admins."}, []string{"edition", "layer"})
	m.PollDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "newsbot", Name: "poll_duration_seconds",
		Help: "Time to poll one edition.", Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"edition"})
	m.PollErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newsbot", Name: "poll_errors_total",
		Help: "Polls of an edition that failed."}, []string{"edition"})
	m.LastPoll = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newsbot", Name: "last_successful_poll_timestamp_seconds",
		Help: "Unix time of the last successful poll of an edition."}, []string{"edition"})
	m.Sends = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newsbot", Name: "sends_total",
		Help: "Bot API send attempts by result: ok, flood (429), blocked (403), bad_request (400), server (5xx), network, …"}, []string{"result"})
	m.SendLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "newsbot", Name: "send_duration_seconds",
		Help: "Time of one Bot API send.", Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10}})
	m.SendRateInForce = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "newsbot", Name: "send_rate_in_force",
		Help: "The shared send rate in force, messages a second: SEND_RATE unless 429s lowered it (adaptive back-off)."})
	m.RoleHeld = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newsbot", Name: "role_held",
		Help: "1 while this replica holds the singleton role (poller, updates, webhook), else 0."}, []string{"role"})
	f(m.RoleHeld)
	m.StoreDataLoss = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "newsbot", Name: "store_data_loss_total",
		Help: "Times the store was found emptied, replaced or restored from an older copy."})
	f(m.StoreDataLoss)
	m.DeliveryLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "newsbot", Name: "delivery_latency_seconds",
		Help:    "Time from the moment the bot discovered an article (or its promotion) to its delivery to a reader.",
		Buckets: []float64{0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600}})
	m.PublishLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "newsbot", Name: "delivery_publication_latency_seconds",
		Help:    "Time from an article's publication time (as the site gives it) to its delivery to a reader.",
		Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1800, 3600}})
	m.DeadLetters = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "newsbot", Name: "dead_letters_total",
		Help: "Messages given up after repeated failures."})
	m.QueueDepth = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newsbot", Name: "queue_depth",
		Help: "Messages waiting, per priority."}, []string{"priority"})
	m.Subscribers = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newsbot", Name: "subscribers",
		Help: "Chats known to the bot, by state."}, []string{"state"})
	m.RedisErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "newsbot", Name: "redis_errors_total",
		Help: "Redis commands that failed."})
	m.Updates = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newsbot", Name: "updates_total",
		Help: "Telegram updates handled, by kind."}, []string{"kind"})
	for _, c := range []prometheus.Collector{m.ArticlesDiscovered, m.ArticlesAnnounced, m.ExtractFailures, m.SourceDrift,
		m.PollDuration, m.PollErrors, m.LastPoll, m.Sends, m.SendLatency, m.SendRateInForce, m.DeliveryLatency, m.PublishLatency, m.DeadLetters,
		m.QueueDepth, m.Subscribers, m.RedisErrors, m.Updates} {
		f(c)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Timeout: 10 * time.Second})
}
