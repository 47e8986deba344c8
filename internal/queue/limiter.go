package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The global limit is a GCRA (generic cell rate algorithm) kept in Redis,
// so every process sending for the token draws from one budget. A call
// reserves the next slot and learns how long to wait for it; the theoretical
// arrival time (TAT) then moves one interval on. Burst is one: slots are
// evenly spaced, which is what a server enforcing the same rate accepts
// without a 429. In paid mode a second GCRA holds the paid budget
// (PaidRate − Rate): a sender takes the free slot when it comes first and a
// paid one otherwise, so Stars are spent only above the free rate.
//
// Times are Unix milliseconds with a fractional part, written with %.3f:
// Lua's default number format keeps 14 digits, too few for µs. The scripts
// are lua/reserve.lua and lua/pause.lua.

// rateKeep is how long the rate and pause keys outlive their values.
const rateKeep = time.Minute

// The kinds of slot reserve.lua answers.
const (
	slotFree = "free"
	slotPaid = "paid"
)

// Limiter is the shared global rate limit. It is safe for concurrent use.
type Limiter struct {
	rdb  redis.UniversalClient
	k    keys
	free time.Duration // interval between free slots
	paid time.Duration // interval between paid slots; 0 = paid mode off
	now  func() time.Time

	// The pause as this process knows it. Senders sleeping until their
	// slot are woken when it changes, so that a slot reserved before a 429
	// is not used inside the pause; no Redis call sits between the end of
	// a slot's wait and the send, where it would add latency jitter.
	mu          sync.Mutex
	pausedUntil time.Time
	pauseCh     chan struct{} // closed and replaced when the pause moves

	late atomic.Int64 // slots voided because they came too late

	adapt   *Adaptive     // nil: the free rate is fixed
	inForce atomic.Uint64 // the free rate in force (float64 bits), as last learned
	own     atomic.Int64  // free slots this process reserved since the pause last moved

	paceMu   sync.Mutex
	nextFree time.Time // earliest start of this process's next free send
	nextPaid time.Time // and of its next paid send
}

const (
	// lateSlots is how many intervals late a slot may still be used.
	lateSlots = 4
	// minLate is the least lateness tolerated for a slot, whatever the
	// rate: timers, the scheduler and a Redis round trip are not more
	// precise than this.
	minLate = 20 * time.Millisecond
)

func (l *Limiter) interval(s Slot) time.Duration {
	if s.Paid {
		return l.paid
	}
	return l.free
}

// tolerance is how late a slot may be used.
func (l *Limiter) tolerance(s Slot) time.Duration {
	return max(lateSlots*l.interval(s), minLate)
}

// pace waits until this process's previous send of the same kind is one
// interval old.
func (l *Limiter) pace(ctx context.Context, s Slot) error {
	iv := l.interval(s)
	l.paceMu.Lock()
	next := &l.nextFree
	if s.Paid {
		next = &l.nextPaid
	}
	now := l.now()
	start := now
	if next.After(now) {
		start = *next
	}
	*next = start.Add(iv)
	l.paceMu.Unlock()
	return sleep(ctx, start.Sub(now))
}

// Limiter returns a limiter drawing from the queue's shared budget: one
// free slot every free, and, when paid > 0, one paid slot every paid. now
// is the clock.
func (q *Queue) Limiter(free, paid time.Duration, now func() time.Time) *Limiter {
	return &Limiter{rdb: q.rdb, k: q.k, free: free, paid: paid, now: now, pauseCh: make(chan struct{})}
}

// Adaptive is the back-off of the shared free rate after 429s: the rate
// in force is kept in Redis (P:rate:adapt) so that every process follows
// it. Each 429 (once per retry_after, however many requests in flight meet
// it) lowers it: to what the server was seen to accept in a second when
// that can be measured, back to the limit last measured when the rate had
// recovered above it (a failed probe), and by Cut otherwise. The rate set
// is held for Hold, then recovers by Step every Period without a 429,
// never above Max. Each failed probe doubles the hold before the next one,
// up to MaxHold (like TCP's slow-start threshold, the limit last measured
// is where probing starts, and probing above it gets rarer while it keeps
// failing).
type Adaptive struct {
	Max     float64       // the configured free rate (SEND_RATE), messages a second
	Min     float64       // the lowest rate in force
	Cut     float64       // the multiplicative decrease, in (0, 1)
	Step    float64       // the additive recovery, messages a second per Period
	Period  time.Duration // how long without a 429 each Step takes
	Hold    time.Duration // how long a rate set after a 429 is held before it recovers
	MaxHold time.Duration // the longest hold, after repeated failed probes
}

// AdaptiveLimiter is Limiter with the free rate backing off after 429s
// (see Adaptive); free is the interval between free slots at a.Max.
func (q *Queue) AdaptiveLimiter(free, paid time.Duration, now func() time.Time, a Adaptive) *Limiter {
	l := q.Limiter(free, paid, now)
	l.adapt = &a
	l.inForce.Store(math.Float64bits(a.Max))
	return l
}

// RateInForce returns the free rate in force as this process last learned
// it from Redis, in messages a second; 0 when the rate is not adaptive.
func (l *Limiter) RateInForce() float64 {
	if l.adapt == nil {
		return 0
	}
	return math.Float64frombits(l.inForce.Load())
}

// noteRate records the rate in force from a script's answer.
func (l *Limiter) noteRate(v string) {
	if l.adapt == nil {
		return
	}
	if r, err := strconv.ParseFloat(v, 64); err == nil && r > 0 {
		l.inForce.Store(math.Float64bits(r))
	}
}

// adaptArgs are the adaptive parts of the scripts' arguments.
type adaptArgs struct {
	Adapt   bool        `json:"adapt"`
	Max     json.Number `json:"max"`
	Min     json.Number `json:"min"`
	Cut     json.Number `json:"cut"`
	Step    json.Number `json:"step"`
	Period  int64       `json:"period"`
	Hold    int64       `json:"hold"`
	MaxHold int64       `json:"maxhold"`
}

func (l *Limiter) adaptArgs() adaptArgs {
	a := l.adapt
	if a == nil {
		return adaptArgs{Max: "0", Min: "0", Cut: "1", Step: "0"}
	}
	f := func(v float64) json.Number { return json.Number(strconv.FormatFloat(v, 'f', 3, 64)) }
	return adaptArgs{Adapt: true, Max: f(a.Max), Min: f(a.Min), Cut: f(a.Cut), Step: f(a.Step), Period: a.Period.Milliseconds(),
		Hold: a.Hold.Milliseconds(), MaxHold: max(a.Hold, a.MaxHold).Milliseconds()}
}

// Late returns how many reserved slots were voided because they came too
// late (see Wait).
func (l *Limiter) Late() int64 { return l.late.Load() }

// notePause records a pause learned from Redis or from Telegram and wakes
// the local sleepers.
func (l *Limiter) notePause(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !until.After(l.pausedUntil) {
		return
	}
	l.pausedUntil = until
	l.own.Store(0)
	close(l.pauseCh)
	l.pauseCh = make(chan struct{})
}

// PausedUntil returns the end of the pause as this process knows it (in
// the past or zero when none is in force). It makes no Redis call.
func (l *Limiter) PausedUntil() time.Time {
	until, _ := l.localPause()
	return until
}

// localPause returns the known end of the pause and a channel closed when
// it moves.
func (l *Limiter) localPause() (time.Time, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil, l.pauseCh
}

// Slot is a reserved send.
type Slot struct {
	// Paid is set for a slot of the paid budget: the send goes out as a
	// paid broadcast.
	Paid bool
}

// PausedError is returned by Wait when the pause is longer than the caller
// accepts; the caller hands its work back and waits For.
type PausedError struct{ For time.Duration }

func (e PausedError) Error() string { return fmt.Sprintf("queue: sending paused for %v", e.For) }

// msNumber is t in Unix milliseconds with 3 decimals, as a JSON number.
func msNumber(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixNano())/1e6, 'f', 3, 64))
}

func durNumber(d time.Duration) json.Number {
	return json.Number(strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64))
}

// reserve takes the next slot and returns how long to wait for it. A pause
// in force is returned as PausedError.
func (l *Limiter) reserve(ctx context.Context) (Slot, time.Duration, error) {
	arg := struct {
		Now  json.Number `json:"now"`
		Free json.Number `json:"free"`
		Paid json.Number `json:"paid"`
		adaptArgs
	}{msNumber(l.now()), durNumber(l.free), durNumber(l.paid), l.adaptArgs()}
	ks := []string{l.k.pause(), l.k.rate(), l.k.ratePaid(), l.k.rateAdapt()}
	res, err := run(ctx, l.rdb, reserveScript, ks, arg).StringSlice()
	if err != nil {
		return Slot{}, 0, fmt.Errorf("queue: unable to reserve a send slot: %w", err)
	}
	if len(res) == 3 {
		l.noteRate(res[2])
		res = res[:2]
	}
	if len(res) != 2 {
		return Slot{}, 0, errors.New("queue: unable to reserve a send slot: bad script answer")
	}
	ms, err := strconv.ParseFloat(res[1], 64)
	if err != nil {
		return Slot{}, 0, fmt.Errorf("queue: unable to reserve a send slot: %w", err)
	}
	d := time.Duration(ms * float64(time.Millisecond))
	if res[0] == answerPause {
		return Slot{}, 0, PausedError{d}
	}
	if res[0] == slotFree {
		l.own.Add(1)
	}
	return Slot{Paid: res[0] == slotPaid}, d, nil
}

// Wait reserves a slot and sleeps until it comes. Pauses shorter than
// maxPause (any pause when maxPause < 0) are slept through; longer ones are
// returned as PausedError. A pause that starts while it sleeps (learned by
// any sender of this process) voids the slot: Wait then sleeps through the
// pause and reserves again.
//
// Two guards keep a stall (a GC pause, a slow Redis reply, a busy CPU)
// from turning into a burst when the stalled senders resume together: the
// senders of this process start their requests at least one interval
// apart (a local pacer, no Redis involved), and a slot found more than
// lateSlots intervals (at least minLate) in the past is void: it is lost
// and a new one reserved, so that a long stall is not caught up at twice
// the rate next to other processes' senders.
func (l *Limiter) Wait(ctx context.Context, maxPause time.Duration) (Slot, error) {
	for {
		_, changed := l.localPause()
		asked := l.now()
		s, d, err := l.reserve(ctx)
		var p PausedError
		if errors.As(err, &p) {
			l.notePause(l.now().Add(p.For))
		} else if err != nil {
			return Slot{}, err
		} else {
			at := asked.Add(d)
			if left := at.Sub(l.now()); left > 0 {
				t := time.NewTimer(left)
				select {
				case <-ctx.Done():
					t.Stop()
					return Slot{}, ctx.Err()
				case <-t.C:
				case <-changed:
					t.Stop()
				}
			}
			now := l.now()
			if until, _ := l.localPause(); !until.After(now) {
				if now.Sub(at) > l.tolerance(s) {
					l.late.Add(1)
					continue
				}
				if err := l.pace(ctx, s); err != nil {
					return Slot{}, err
				}
				// A pause learned while pacing voids the slot too.
				if until, _ := l.localPause(); !until.After(l.now()) {
					return s, nil
				}
			}
		}
		// Paused: sleep through it (or report it) and reserve anew.
		until, _ := l.localPause()
		left := until.Sub(l.now())
		if maxPause >= 0 && left > maxPause {
			return Slot{}, PausedError{left}
		}
		if err := sleep(ctx, left); err != nil {
			return Slot{}, err
		}
	}
}

// Pause makes every sender of the token wait d. The rate in force stays.
func (l *Limiter) Pause(ctx context.Context, d time.Duration) error {
	return l.pause(ctx, d, time.Time{}, Seen{})
}

// Seen is what one process saw of its own free sends started since the
// last pause ended and before a refused one: how many were made and how
// many were accepted. It sharpens the measure of the server's limit
// (Adaptive): the slots counted in Redis include those reserved but not
// yet sent.
type Seen struct{ Sent, Accepted int }

// Flood makes every sender of the token wait retryAfter after a 429 to a
// request that started at start, and lowers the adaptive rate (see
// Adaptive; the same as Pause when the rate is fixed).
func (l *Limiter) Flood(ctx context.Context, retryAfter time.Duration, start time.Time, seen Seen) error {
	return l.pause(ctx, retryAfter, start, seen)
}

func (l *Limiter) pause(ctx context.Context, d time.Duration, start time.Time, seen Seen) error {
	now := l.now()
	own := l.own.Load() // the share of this process in the slots counted in Redis
	l.notePause(now.Add(d))
	arg := struct {
		Now   int64       `json:"now"`
		MS    int64       `json:"ms"`
		Start json.Number `json:"start"`
		Free  json.Number `json:"free"`
		Sent  int         `json:"sent"`
		Acc   int         `json:"acc"`
		Own   int64       `json:"own"`
		adaptArgs
	}{now.UnixMilli(), d.Milliseconds(), "0", durNumber(l.free), seen.Sent, seen.Accepted, own, l.adaptArgs()}
	if start.IsZero() {
		arg.Adapt = false
	} else {
		arg.Start = msNumber(start)
	}
	ks := []string{l.k.pause(), l.k.rate(), l.k.ratePaid(), l.k.stats(), l.k.rateAdapt()}
	v, err := run(ctx, l.rdb, pauseScript, ks, arg).Text()
	if err != nil {
		return fmt.Errorf("queue: unable to pause sending: %w", err)
	}
	if arg.Adapt {
		l.noteRate(v)
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WaitPause returns when no pause is in force: the one this process knows
// and the one shared in Redis. It reserves no slot: it is for requests that
// Telegram does not count against the send rate (answerCallbackQuery,
// answerInlineQuery) but that must not be made inside a pause either.
func (l *Limiter) WaitPause(ctx context.Context) error {
	v, err := l.rdb.Get(ctx, l.k.pause()).Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return fmt.Errorf("queue: unable to read the pause: %w", err)
	default:
		if ms, perr := strconv.ParseFloat(v, 64); perr == nil {
			l.notePause(time.UnixMilli(int64(ms)))
		}
	}
	until, _ := l.localPause()
	return sleep(ctx, until.Sub(l.now()))
}
