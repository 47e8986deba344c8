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
	// clusterStateReload bounds how long a Cluster client keeps a stale
	// slot map. go-redis reloads it on MOVED answers but not when a master
	// stops answering, and its default (60 s) left every command to a
	// killed master's slots failing for up to a minute after its replica
	// had taken over (TestAcceptanceClusterMasterFailover). A reload is one
	// CLUSTER SLOTS, at most once a second while commands flow.
	clusterStateReload = time.Second
)

// Open connects to Redis as named by redisURL (the REDIS_URL setting) and
// checks that it answers. Accepted forms:
//
//	redis://[user:password@]host[:port][/db]
//	rediss://…   (TLS, server name checked against the host)
//	unix:///absolute/path/to.sock[?db=N]
//	unix://relative/path.sock[?db=N]
//	redis+cluster://[user:password@]host1[:port],host2[:port],…[/][?options]
//	redis+sentinel://[user:password@]master@host1[:port],host2[:port],…[/db][?options]
//
// plus go-redis's query options (dial_timeout, pool_size, …). A cluster URL
// names one or more nodes (port 6379 by default; the others are found from
// them) and gives a Cluster client; it has no database (a Cluster has only
// db 0). A Sentinel URL names the monitored master and one or more
// sentinels (port 26379 by default) and gives a client that follows the
// master through failovers; user and password are those of the master and
// its replicas, and sentinels with a password of their own take the query
// options sentinel_username and sentinel_password. rediss+cluster:// and
// rediss+sentinel:// use TLS. Errors name REDIS_URL and never contain the
// password.
func Open(ctx context.Context, redisURL string) (redis.UniversalClient, error) {
	rdb, err := NewClient(redisURL)
	if err != nil {
		return nil, err
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("store: unable to reach Redis at %s (REDIS_URL): %w", describeClient(redisURL), err)
	}
	return rdb, nil
}

// NewClient is Open without the ping: it only parses REDIS_URL (same forms
// and errors), so a caller can wait for a Redis that is not up yet.
func NewClient(redisURL string) (redis.UniversalClient, error) {
	kind, rest := splitTopology(redisURL)
	switch kind {
	case topologyCluster:
		o, err := parseClusterURL(rest)
		if err != nil {
			return nil, err
		}
		return redis.NewClusterClient(o), nil
	case topologySentinel:
		o, err := parseSentinelURL(rest)
		if err != nil {
			return nil, err
		}
		return redis.NewFailoverClient(o), nil
	}
	opts, err := parseURL(redisURL)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opts), nil
}

// describeClient names the server(s) of REDIS_URL without credentials.
func describeClient(redisURL string) string {
	kind, rest := splitTopology(redisURL)
	if kind != topologySingle {
		if hosts, _, _, err := splitMultiHost(rest); err == nil {
			return strings.Join(hosts, ",")
		}
		return "the " + string(kind)
	}
	if o, err := parseURL(redisURL); err == nil {
		return describeAddr(o)
	}
	return "REDIS_URL"
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
		return nil, errors.New("store: REDIS_URL has no scheme (want redis://, rediss://, unix://, redis+cluster:// or redis+sentinel://)")
	default:
		return nil, fmt.Errorf("store: REDIS_URL scheme %q is not supported (want redis://, rediss://, unix://, redis+cluster:// or redis+sentinel://)", u.Scheme)
	}
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("store: REDIS_URL: %v", redactErr(err, raw))
	}
	applyDefaults(u.Query(), &opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolSize)
	return opts, nil
}

// applyDefaults sets the connection defaults that the query q does not
// set. go-redis sizes the pool by CPUs (20 on 2 cores); the delivery engine
// alone runs up to 64 senders in paid-broadcast mode.
func applyDefaults(q url.Values, dial, read, write *time.Duration, pool *int) {
	if !q.Has("dial_timeout") {
		*dial = defaultDialTimeout
	}
	if !q.Has("read_timeout") {
		*read = defaultOpTimeout
	}
	if !q.Has("write_timeout") {
		*write = defaultOpTimeout
	}
	if !q.Has("pool_size") {
		*pool = defaultPoolSize
	}
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
