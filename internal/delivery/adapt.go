package delivery

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"newsbot/internal/queue"
	"newsbot/internal/telegram"
)

// Adaptive back-off. When 429s keep coming at the configured rate (another
// bot on the same token, a lower limit for a new bot, paid limits switched
// off), the shared free rate in force drops (queue.Adaptive, kept in Redis
// so that every process follows it) and recovers slowly; the arrival guard
// and the number of senders at work follow it.
//
// The first 429 at a rate that used to pass cannot tell the new limit, so
// the rate is halved: halved, the slots are further apart than a round
// trip of up to 1/(Rate/2) (67 ms at 30/s), so the 429 that measures the
// limit (the next one, within a second after the pause, see
// queue.Adaptive) is not followed by another request already on its way.
//
// The rate measured is then held for adaptHold before it is probed upwards
// (+adaptStep every adaptPeriod): a limit rarely changes from one minute
// to the next, and every probe above it costs a 429. A probe that fails
// brings the rate back to the limit known and doubles the hold, up to
// adaptMaxHold.
const (
	adaptCut     = 0.4              // multiplicative decrease when the limit is unknown
	adaptStep    = 0.5              // additive recovery, messages a second…
	adaptPeriod  = 10 * time.Second // …per this long without a 429…
	adaptHold    = time.Minute      // …once the rate set after a 429 was held this long
	adaptMaxHold = 16 * time.Minute // the longest hold, after failed probes
	adaptMin     = 1.0              // the lowest rate in force, messages a second
)

// adaptiveRate is the back-off of a configured free rate.
func adaptiveRate(rate float64) queue.Adaptive {
	return queue.Adaptive{Max: rate, Min: min(adaptMin, rate), Cut: adaptCut, Step: adaptStep, Period: adaptPeriod,
		Hold: adaptHold, MaxHold: adaptMaxHold}
}

// rateInForce is the free rate this process sends at now.
func (e *Engine) rateInForce() float64 {
	return math.Float64frombits(e.rate.Load())
}

// noteRate makes the guard and the senders at work follow the rate in
// force the limiter last learned, and reports a change.
func (e *Engine) noteRate() {
	r := e.lim.RateInForce()
	if r <= 0 {
		return
	}
	r = min(r, e.cfg.Rate)
	old := math.Float64frombits(e.rate.Swap(math.Float64bits(r)))
	if math.Abs(old-r) < 1e-3 {
		return
	}
	e.guard.setRate(r)
	if r < old {
		e.log.Warn("Telegram keeps refusing the rate; the shared rate drops.",
			slog.Float64("from", old), slog.Float64("to", r))
	}
	if o, ok := e.cfg.Observer.(RateObserver); ok {
		o.RateInForce(r)
	}
}

// flood shares the pause of a 429 to a request started at start (zero:
// unknown) and the back-off of the rate, and logs a failure to do so.
func (e *Engine) flood(ctx context.Context, log *slog.Logger, retryAfter time.Duration, start time.Time) {
	var err error
	if start.IsZero() {
		err = e.lim.Pause(ctx, retryAfter)
	} else {
		err = e.lim.Flood(ctx, retryAfter, start, e.resumed.seen(start))
	}
	// The tally starts where this process's senders may start again.
	until := e.pausedUntil()
	if until.IsZero() {
		until = e.now().Add(retryAfter)
	}
	e.resumed.reset(until)
	if err != nil {
		log.Error("Unable to share the pause.", slog.Any("err", err))
	}
	e.noteRate()
}

// answered records the answer (err) to a request started at start that
// holds ge (free: a free slot): the tally of the sends since the last
// pause, then, for a 429, the shared pause and back-off, and only then the
// guard's entry, so that a sender waiting for this answer (guard.go) does
// not start inside the pause. It returns the pause of a 429, 0 otherwise.
func (e *Engine) answered(ctx context.Context, ge *guardEntry, start time.Time, free bool, err error) time.Duration {
	if free {
		e.resumed.note(start, err == nil)
	}
	var d time.Duration
	if te := (*telegram.Error)(nil); errors.As(err, &te) && te.Kind == telegram.Flood {
		d = max(te.RetryAfter, time.Second)
		e.flood(ctx, e.log, d, start)
	}
	e.guard.finish(ge, start)
	return d
}

// RateInForce returns the shared free rate in force as this process last
// learned it, in messages a second: Config.Rate unless 429s lowered it.
func (e *Engine) RateInForce() float64 { return e.rateInForce() }

// resumeTally records this process's free sends started within a second
// after the last pause it knows of, to measure what the server accepts
// (queue.Seen).
type resumeTally struct {
	mu    sync.Mutex
	since time.Time   // the end of the last pause
	sends []time.Time // starts of the sends since
	oks   []time.Time // starts of those accepted
}

// reset starts a new tally after a pause ending at until.
func (t *resumeTally) reset(until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until.After(t.since) {
		t.since, t.sends, t.oks = until, t.sends[:0], t.oks[:0]
	}
}

// note records a free send started at start; ok when it was accepted.
func (t *resumeTally) note(start time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.since.IsZero() || start.Before(t.since) || start.Sub(t.since) >= time.Second {
		return
	}
	t.sends = append(t.sends, start)
	if ok {
		t.oks = append(t.oks, start)
	}
}

// seen counts the sends recorded before start.
func (t *resumeTally) seen(start time.Time) queue.Seen {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s queue.Seen
	for _, at := range t.sends {
		if at.Before(start) {
			s.Sent++
		}
	}
	for _, at := range t.oks {
		if at.Before(start) {
			s.Accepted++
		}
	}
	return s
}
