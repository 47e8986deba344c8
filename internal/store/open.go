package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Connection defaults applied when the URL does not set them.
const (
	defaultDialTimeout = 5 * time.Second
	defaultOpTimeout   = 5 * time.Second
)

// Open connects to the Redis server named by redisURL (the REDIS_URL
// setting) and checks that it answers. Accepted forms:
//
//	redis://[user:password@]host[:port][/db]
//	rediss://…   (TLS, server name checked against the host)
//	unix:///absolute/path/to.sock[?db=N]
//	unix://relative/path.sock[?db=N]
//
// plus go-redis's query options (dial_timeout, pool_size, …). Errors name
// REDIS_URL and never contain the password.
func Open(ctx context.Context, redisURL string) (redis.UniversalClient, error) {
	opts, err := parseURL(redisURL)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("store: unable to reach Redis at %s (REDIS_URL): %w", describeAddr(opts), err)
	}
	return rdb, nil
}

// NewClient is Open without the ping: it only parses REDIS_URL (same forms
// and errors), so a caller can wait for a Redis that is not up yet.
func NewClient(redisURL string) (redis.UniversalClient, error) {
	opts, err := parseURL(redisURL)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opts), nil
}

// parseURL turns REDIS_URL into client options. It parses the URL itself
// first so that no error quotes the URL (and with it the password).
// defaultPoolSize is the connection pool size unless REDIS_URL sets
// pool_size: room for every delivery worker, the poller and the bot.
const defaultPoolSize = 100

func parseURL(raw string) (*redis.Options, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("store: REDIS_URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("store: REDIS_URL is not a valid URL: %v", redactErr(err, raw))
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			return nil, fmt.Errorf("store: REDIS_URL has no host (want %s://host:port/db)", u.Scheme)
		}
	case "unix":
		// go-redis wants the socket path in the URL path; accept a relative
		// path written as unix://dir/redis.sock too.
		p := u.Host + u.Path
		if u.Opaque != "" {
			p = u.Opaque
		}
		if strings.TrimSpace(p) == "" {
			return nil, errors.New("store: REDIS_URL has no socket path (want unix:///path/to/redis.sock)")
		}
		if !filepath.IsAbs(p) {
			abs, err := filepath.Abs(p)
			if err != nil {
				return nil, fmt.Errorf("store: REDIS_URL socket path: %w", err)
			}
			p = abs
		}
		u = &url.URL{Scheme: "unix", User: u.User, Path: p, RawQuery: u.RawQuery}
	case "":
		return nil, errors.New("store: REDIS_URL has no scheme (want redis://, rediss:// or unix://)")
	default:
		return nil, fmt.Errorf("store: REDIS_URL scheme %q is not supported (want redis://, rediss:// or unix://)", u.Scheme)
	}
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("store: REDIS_URL: %v", redactErr(err, raw))
	}
	q := u.Query()
	if !q.Has("dial_timeout") {
		opts.DialTimeout = defaultDialTimeout
	}
	if !q.Has("read_timeout") {
		opts.ReadTimeout = defaultOpTimeout
	}
	if !q.Has("write_timeout") {
		opts.WriteTimeout = defaultOpTimeout
	}
	if !q.Has("pool_size") {
		// go-redis sizes the pool by CPUs (20 on 2 cores); the delivery
		// engine alone runs up to 64 senders in paid-broadcast mode.
		opts.PoolSize = defaultPoolSize
	}
	return opts, nil
}

// redactErr replaces any password from raw that appears in err's text.
func redactErr(err error, raw string) string {
	msg := err.Error()
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			userinfo := rest[:at]
			if c := strings.Index(userinfo, ":"); c >= 0 && c+1 < len(userinfo) {
				msg = strings.ReplaceAll(msg, userinfo[c+1:], "xxxxx")
			}
		}
	}
	return msg
}

// describeAddr names the server without credentials.
func describeAddr(o *redis.Options) string {
	if o.Network == "unix" {
		return "unix:" + o.Addr
	}
	return o.Addr
}
