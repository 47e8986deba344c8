package app

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"newsbot/internal/metrics"
	"newsbot/internal/telegram"
)

// lossNotReadyFor is how long /readyz fails after the store was found to
// have lost data: long enough for a deploy gate or a probe-based alert to
// see it, short enough not to keep a webhook replica out of service.
const lossNotReadyFor = 10 * time.Minute

// health tracks what /readyz reports on: the last successful poll, the
// last answer from the Bot API and the last detected loss of store data.
type health struct {
	started  time.Time
	interval time.Duration // poll interval
	lastPoll atomic.Int64  // unix nanoseconds
	lastAPI  atomic.Int64
	lastLoss atomic.Int64
	now      func() time.Time
	roles    func() []string // the singleton roles this replica holds; nil: none
}

func (h *health) polled()      { h.lastPoll.Store(h.now().UnixNano()) }
func (h *health) storeLost()   { h.lastLoss.Store(h.now().UnixNano()) }
func (h *health) apiAnswered() { h.lastAPI.Store(h.now().UnixNano()) }
func (h *health) since(v int64) time.Duration {
	if v == 0 {
		return h.now().Sub(h.started)
	}
	return h.now().Sub(time.Unix(0, v))
}

// pinger is what readiness needs from the store.
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness checks Redis, the poll and the Bot API. A poll counts as
// recent within three intervals plus a minute (pages are slow sometimes);
// the Bot API within two minutes (a long poll answers every 30s).
func (h *health) readiness(ctx context.Context, st pinger) (map[string]string, bool) {
	checks := map[string]string{}
	ok := true
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := st.Ping(ctx); err != nil {
		checks["redis"], ok = err.Error(), false
	} else {
		checks["redis"] = "ok"
	}
	if age, limit := h.since(h.lastPoll.Load()), 3*h.interval+time.Minute; age > limit {
		checks["poll"], ok = fmt.Sprintf("no successful poll for %s", age.Round(time.Second)), false
	} else {
		checks["poll"] = "ok"
	}
	if lost := h.lastLoss.Load(); lost != 0 && h.since(lost) < lossNotReadyFor {
		checks["store_data"], ok = fmt.Sprintf("the store lost data %s ago; see the log and docs/operations.md", h.since(lost).Round(time.Second)), false
	} else {
		checks["store_data"] = "ok"
	}
	if age := h.since(h.lastAPI.Load()); age > 2*time.Minute {
		checks["telegram"], ok = fmt.Sprintf("no answer from the Bot API for %s", age.Round(time.Second)), false
	} else {
		checks["telegram"] = "ok"
	}
	return checks, ok
}

// updateHandler is what the webhook needs from the bot: Dispatch queues
// an update on its chat's lane (flood control included, as in long
// polling) and returns at once.
type updateHandler interface {
	Dispatch(ctx context.Context, u telegram.Update)
}

type updateDeduper interface {
	FirstTimeUpdate(ctx context.Context, updateID int, ttl time.Duration) (bool, error)
}

// webhook serves Telegram's update calls: the secret header is checked in
// constant time, and each update_id is handled at most once (Telegram
// retries calls it thinks failed).
type webhook struct {
	secret  string
	bot     updateHandler
	dedupe  updateDeduper
	log     *slog.Logger
	metrics *metrics.Metrics
	ctx     context.Context // the process's: handling goes on if Telegram hangs up
}

const maxUpdateBytes = 1 << 20

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(w.secret)) != 1 {
		w.log.Warn("A webhook call had a wrong or missing secret token; rejected.", "remote", r.RemoteAddr)
		http.Error(rw, "forbidden", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxUpdateBytes+1))
	if err != nil || len(body) > maxUpdateBytes {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	u, err := telegram.DecodeUpdate(body)
	if err != nil {
		w.log.Warn("A webhook call carried no valid update; ignored.", "err", err)
		rw.WriteHeader(http.StatusOK) // a retry would not make it valid
		return
	}
	first, err := w.dedupe.FirstTimeUpdate(r.Context(), u.UpdateID, 25*time.Hour)
	if err != nil {
		// Redis is down: let Telegram retry later rather than risk handling twice.
		w.log.Error("Unable to record a webhook update; asking Telegram to retry.", "update_id", u.UpdateID, "err", err)
		http.Error(rw, "try again", http.StatusServiceUnavailable)
		return
	}
	if !first {
		w.log.Debug("A repeated webhook update was ignored.", "update_id", u.UpdateID)
		rw.WriteHeader(http.StatusOK)
		return
	}
	countUpdate(w.metrics, u)
	w.bot.Dispatch(w.ctx, u)
	rw.WriteHeader(http.StatusOK)
}

func countUpdate(m *metrics.Metrics, u telegram.Update) {
	if m == nil {
		return
	}
	switch {
	case u.Message != nil:
		m.Updates.WithLabelValues("message").Inc()
	case u.CallbackQuery != nil:
		m.Updates.WithLabelValues("callback_query").Inc()
	case u.MyChatMember != nil:
		m.Updates.WithLabelValues("my_chat_member").Inc()
	default:
		m.Updates.WithLabelValues("other").Inc()
	}
}

// httpServer builds the operator endpoint: /healthz, /readyz, /metrics
// and, in webhook mode, the webhook path.
func httpServer(addr string, h *health, st pinger, m *metrics.Metrics, hookPath string, hook http.Handler) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		if h.roles != nil {
			fmt.Fprintf(w, "roles: %s\n", strings.Join(h.roles(), ","))
		}
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		checks, ok := h.readiness(r.Context(), st)
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(map[string]any{"ready": ok, "checks": checks})
	})
	mux.Handle("GET /metrics", m.Handler())
	if hook != nil {
		mux.Handle(hookPath, hook)
	}
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
}

// listenHTTP binds HTTP_ADDR. It runs first at start, before any network
// call, so an address that is invalid or already in use stops the bot at
// once with a usage error (exit 2).
func listenHTTP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError{fmt.Sprintf("config: HTTP_ADDR: unable to listen on %q: %v", addr, err)}
	}
	return ln, nil
}
