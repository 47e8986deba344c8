package app

import (
	"context"
	"time"
)

// clockKey carries a test's clock in Run's context to the parts whose
// decisions follow the time of day (delivery: quiet hours, daily digests;
// the bot's replies). Only the package's own tests set it (withClock);
// the bot otherwise runs on time.Now.
type clockKey struct{}

// withClock returns ctx carrying now as the clock of a bot run with it.
func withClock(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

// clockOf returns the clock ctx carries, time.Now when none.
func clockOf(ctx context.Context) func() time.Time {
	if now, ok := ctx.Value(clockKey{}).(func() time.Time); ok && now != nil {
		return now
	}
	return time.Now
}
