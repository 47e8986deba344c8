package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteDriverLogs sends go-redis's own log lines (connection pool retries
// and the like, which it prints to stderr by default) to log at debug
// level: the store reports the failures that matter as errors itself. The
// driver's logger is process-wide, so call this once, at start-up.
func RouteDriverLogs(log *slog.Logger) {
	redis.SetLogger(driverLogger{log})
}

type driverLogger struct{ log *slog.Logger }

func (d driverLogger) Printf(ctx context.Context, format string, v ...any) {
	d.log.DebugContext(ctx, "Redis driver: "+fmt.Sprintf(format, v...))
}
