package delivery

import (
	"context"
	"errors"
	"fmt"
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
// Lua's default number format keeps 14 digits, too few for µs.

// reserveScript reserves the next slot.
// ARGV: P, now_ms (fractional), free_interval_ms, paid_interval_ms (0 = no paid budget).
// Returns {"pause", ms} or {"free"|"paid", wait_ms}.
var reserveScript = redis.NewScript(`
local P, now = ARGV[1], tonumber(ARGV[2])
local fiv, piv = tonumber(ARGV[3]), tonumber(ARGV[4])
local pause = tonumber(redis.call('GET', P .. ':pause') or '0') or 0
if pause > now then return {'pause', string.format('%.3f', pause - now)} end
local fk, pk = P .. ':rate', P .. ':rate:paid'
local tat = tonumber(redis.call('GET', fk) or '0') or 0
if tat < now then tat = now end
local kind, key, iv, at = 'free', fk, fiv, tat
if piv > 0 then
  local ptat = tonumber(redis.call('GET', pk) or '0') or 0
  if ptat < now then ptat = now end
  if ptat < tat then kind, key, iv, at = 'paid', pk, piv, ptat end
end
local nt = at + iv
redis.call('SET', key, string.format('%.3f', nt), 'PX', string.format('%.0f', nt - now + 60000))
return {kind, string.format('%.3f', at - now)}
`)

// pauseScript starts (or lengthens) the shared pause after a 429 and moves
// both TATs past it, so that sending resumes at the configured rate rather
// than in a burst. ARGV: P, now_ms, pause_ms.
var pauseScript = redis.NewScript(`
local P, now, d = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local untilT = now + d
local cur = tonumber(redis.call('GET', P .. ':pause') or '0') or 0
if untilT > cur then
  redis.call('SET', P .. ':pause', string.format('%.0f', untilT), 'PX', string.format('%.0f', d + 60000))
end
for _, k in ipairs({P .. ':rate', P .. ':rate:paid'}) do
  local tat = tonumber(redis.call('GET', k) or '0') or 0
  if tat < untilT then
    redis.call('SET', k, string.format('%.3f', untilT), 'PX', string.format('%.0f', d + 60000))
  end
end
redis.call('HINCRBY', P .. ':stats', 'floods', 1)
return 1
`)

// limiter is the shared global rate limit.
type limiter struct {
	rdb    redis.UniversalClient
	prefix string
	free   time.Duration // interval between free slots
	paid   time.Duration // interval between paid slots; 0 = paid mode off
	now    func() time.Time

	// The pause as this process knows it. Senders sleeping until their
	// slot are woken when it changes, so that a slot reserved before a 429
	// is not used inside the pause; no Redis call sits between the end of
	// a slot's wait and the send, where it would add latency jitter.
	mu          sync.Mutex
	pausedUntil time.Time
	pauseCh     chan struct{} // closed and replaced when the pause moves

	late atomic.Int64 // slots voided because they came too late

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

func (l *limiter) interval(s slot) time.Duration {
	if s.paid {
		return l.paid
	}
	return l.free
}

// tolerance is how late a slot may be used.
func (l *limiter) tolerance(s slot) time.Duration {
	return max(lateSlots*l.interval(s), minLate)
}

// pace waits until this process's previous send of the same kind is one
// interval old.
func (l *limiter) pace(ctx context.Context, s slot) error {
	iv := l.interval(s)
	l.paceMu.Lock()
	next := &l.nextFree
	if s.paid {
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

func newLimiter(rdb redis.UniversalClient, prefix string, free, paid time.Duration, now func() time.Time) *limiter {
	return &limiter{rdb: rdb, prefix: prefix, free: free, paid: paid, now: now, pauseCh: make(chan struct{})}
}

// notePause records a pause learned from Redis or from Telegram and wakes
// the local sleepers.
func (l *limiter) notePause(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !until.After(l.pausedUntil) {
		return
	}
	l.pausedUntil = until
	close(l.pauseCh)
	l.pauseCh = make(chan struct{})
}

// localPause returns the known end of the pause and a channel closed when
// it moves.
func (l *limiter) localPause() (time.Time, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil, l.pauseCh
}

// slot is a reserved send.
type slot struct {
	paid bool
}

// errPaused is returned by wait when the pause is longer than the caller
// accepts; the caller hands its work back and waits.
type errPaused struct{ d time.Duration }

func (e errPaused) Error() string { return fmt.Sprintf("delivery: sending paused for %v", e.d) }

func msString(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e6, 'f', 3, 64)
}

func durMS(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

// reserve takes the next slot and returns how long to wait for it. A pause
// in force is returned as errPaused.
func (l *limiter) reserve(ctx context.Context) (slot, time.Duration, error) {
	res, err := reserveScript.Run(ctx, l.rdb, nil, l.prefix, msString(l.now()), durMS(l.free), durMS(l.paid)).StringSlice()
	if err != nil {
		return slot{}, 0, fmt.Errorf("delivery: unable to reserve a send slot: %w", err)
	}
	if len(res) != 2 {
		return slot{}, 0, errors.New("delivery: unable to reserve a send slot: bad script answer")
	}
	ms, err := strconv.ParseFloat(res[1], 64)
	if err != nil {
		return slot{}, 0, fmt.Errorf("delivery: unable to reserve a send slot: %w", err)
	}
	d := time.Duration(ms * float64(time.Millisecond))
	if res[0] == "pause" {
		return slot{}, 0, errPaused{d}
	}
	return slot{paid: res[0] == "paid"}, d, nil
}

// wait reserves a slot and sleeps until it comes. Pauses shorter than
// maxPause (any pause when maxPause < 0) are slept through; longer ones are
// returned as errPaused. A pause that starts while it sleeps (learned by
// any sender of this process) voids the slot: wait then sleeps through the
// pause and reserves again.
//
// Two guards keep a stall (a GC pause, a slow Redis reply, a busy CPU)
// from turning into a burst when the stalled senders resume together: the
// senders of this process start their requests at least one interval
// apart (a local pacer, no Redis involved), and a slot found more than
// lateSlots intervals (at least minLate) in the past is void: it is lost
// and a new one reserved, so that a long stall is not caught up at twice
// the rate next to other processes' senders.
func (l *limiter) wait(ctx context.Context, maxPause time.Duration) (slot, error) {
	for {
		_, changed := l.localPause()
		asked := l.now()
		s, d, err := l.reserve(ctx)
		var p errPaused
		if errors.As(err, &p) {
			l.notePause(l.now().Add(p.d))
		} else if err != nil {
			return slot{}, err
		} else {
			at := asked.Add(d)
			if left := at.Sub(l.now()); left > 0 {
				t := time.NewTimer(left)
				select {
				case <-ctx.Done():
					t.Stop()
					return slot{}, ctx.Err()
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
					return slot{}, err
				}
				return s, nil
			}
		}
		// Paused: sleep through it (or report it) and reserve anew.
		until, _ := l.localPause()
		left := until.Sub(l.now())
		if maxPause >= 0 && left > maxPause {
			return slot{}, errPaused{left}
		}
		if err := sleep(ctx, left); err != nil {
			return slot{}, err
		}
	}
}

// pause makes every sender of the token wait d.
func (l *limiter) pause(ctx context.Context, d time.Duration) error {
	now := l.now()
	l.notePause(now.Add(d))
	if err := pauseScript.Run(ctx, l.rdb, nil, l.prefix, now.UnixMilli(), d.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("delivery: unable to pause sending: %w", err)
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
