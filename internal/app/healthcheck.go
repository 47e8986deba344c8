package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"newsbot/internal/config"
)

// healthcheckTimeout bounds `newsbot healthcheck`: Docker's HEALTHCHECK
// runs it every interval and a hung check must not pile up.
const healthcheckTimeout = 3 * time.Second

// runHealthcheck asks a running bot on this host for /healthz, for the
// container's health check (the distroless image has no shell or curl).
// It succeeds when the bot answers 200.
func runHealthcheck(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 0 {
		return usageError{"healthcheck takes no arguments: newsbot healthcheck"}
	}
	if cfg.HTTPAddr == "" {
		return usageError{"healthcheck: HTTP_ADDR is off, so there is no endpoint to check"}
	}
	_, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil { // validated by config
		return usageError{"healthcheck: HTTP_ADDR: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("app: healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("app: healthcheck: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("app: healthcheck: %s answered %s", url, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
