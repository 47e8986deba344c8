package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// renewScript extends a claim's lease while its holder is alive: a slow
// send (a loaded machine, a slow Bot API) must not let another sender
// reclaim the chat and send the same message again. It answers 1 when the
// claim is still held by token, 0 otherwise.
//
// KEYS none; ARGV[1] prefix P, ARGV[2] chat, ARGV[3] token, ARGV[4] new
// deadline (Unix ms).
var renewScript = redis.NewScript(`
local P, chat = ARGV[1], ARGV[2]
if redis.call('HGET', P .. ':lease', chat) ~= ARGV[3] then
  return 0
end
if not redis.call('ZSCORE', P .. ':inflight', chat) then
  return 0
end
redis.call('ZADD', P .. ':inflight', ARGV[4], chat)
return 1
`)

// renew moves the claim's lease deadline to now+lease. It reports whether
// the claim is still held.
func (q *queue) renew(ctx context.Context, now time.Time, c claimed, lease time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, q.rdb, nil, q.prefix, c.chat, c.token, now.Add(lease).UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("delivery: unable to renew a claim: %w", err)
	}
	return n == 1, nil
}

// keepLease renews c's lease every Lease/3 until stop is called. A process
// that dies stops renewing, and its claims run out after at most Lease.
func (e *Engine) keepLease(c claimed) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(e.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), e.cfg.Lease/3)
			held, err := e.q.renew(ctx, e.now(), c, e.cfg.Lease)
			cancel()
			switch {
			case err != nil:
				e.log.Warn("Unable to renew a claim; it may be reclaimed.", slog.Int64("chat_id", c.chat), slog.Any("error", err))
			case !held:
				return // lost (taken back after a stall, or released): nothing to keep
			}
		}
	}()
	return func() { close(done); <-finished }
}
