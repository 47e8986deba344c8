package delivery

import (
	"context"
	"log/slog"
	"time"
)

// keepLease renews c's lease every Lease/3 until stop is called: a slow
// send (a loaded machine, a slow Bot API) must not let another sender
// reclaim the chat and send the same message again. A process that dies
// stops renewing, and its claims run out after at most Lease.
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
			held, err := e.q.Renew(ctx, e.now(), c.raw, e.cfg.Lease)
			cancel()
			switch {
			case err != nil:
				e.log.Warn("Unable to renew a claim; it may be reclaimed.", slog.Int64("chat_id", c.chat), slog.Any("err", err))
			case !held:
				return // lost (taken back after a stall, or released): nothing to keep
			}
		}
	}()
	return func() { close(done); <-finished }
}
