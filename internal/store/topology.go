package store

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// topology is the kind of Redis deployment a REDIS_URL names.
type topology string

const (
	topologySingle   topology = "single"
	topologyCluster  topology = "cluster"
	topologySentinel topology = "sentinel"
)

// Default ports of the multi-host forms.
const (
	defaultRedisPort    = "6379"
	defaultSentinelPort = "26379"
)

// multiHost is a parsed redis+cluster:// or redis+sentinel:// URL.
type multiHost struct {
	tls            bool
	user, password string
	hasPassword    bool
	master         string // sentinel only
	hosts          []string
	path           string
	query          url.Values
}

// splitTopology tells the form of raw and, for the multi-host forms,
// returns it with the "+cluster"/"+sentinel" taken out of the scheme.
func splitTopology(raw string) (topology, string) {
	raw = strings.TrimSpace(raw)
	for _, kind := range []topology{topologyCluster, topologySentinel} {
		for _, scheme := range []string{"redis", "rediss"} {
			prefix := scheme + "+" + string(kind) + "://"
			if len(raw) >= len(prefix) && strings.EqualFold(raw[:len(prefix)], prefix) {
				return kind, scheme + "://" + raw[len(prefix):]
			}
		}
	}
	return topologySingle, raw
}

// splitMultiHost cuts scheme://[userinfo@]hosts[/path][?query] by hand:
// net/url does not take a list of hosts. It returns the hosts, the
// userinfo and the rest after the hosts.
func splitMultiHost(raw string) (hosts []string, userinfo, rest string, err error) {
	_, after, _ := strings.Cut(raw, "://")
	authority := after
	if i := strings.IndexAny(after, "/?"); i >= 0 {
		authority, rest = after[:i], after[i:]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, authority = authority[:at], authority[at+1:]
	}
	for _, h := range strings.Split(authority, ",") {
		if h = strings.TrimSpace(h); h == "" {
			return nil, "", "", errors.New("store: REDIS_URL has an empty host in its list")
		}
		hosts = append(hosts, h)
	}
	return hosts, userinfo, rest, nil
}

// parseMultiHost parses a multi-host URL (scheme already plain redis:// or
// rediss://). Errors never quote the URL.
func parseMultiHost(raw string, kind topology) (*multiHost, error) {
	hosts, userinfo, rest, err := splitMultiHost(raw)
	if err != nil {
		return nil, err
	}
	m := &multiHost{tls: strings.HasPrefix(strings.ToLower(raw), "rediss://")}
	defPort := defaultRedisPort
	if kind == topologySentinel {
		defPort = defaultSentinelPort
		at := strings.LastIndex(userinfo, "@")
		m.master, userinfo = userinfo[at+1:], userinfo[:max(at, 0)]
		if m.master == "" || strings.ContainsAny(m.master, ":/ ") {
			return nil, errors.New("store: REDIS_URL has no master name (want redis+sentinel://[user:password@]master@host1:26379,host2:26379/db)")
		}
	}
	if userinfo != "" {
		u, err := url.Parse("redis://" + userinfo + "@x")
		if err != nil || u.User == nil {
			return nil, errors.New("store: REDIS_URL has malformed credentials")
		}
		m.user = u.User.Username()
		m.password, m.hasPassword = u.User.Password()
	}
	for _, h := range hosts {
		hp, err := hostPort(h, defPort)
		if err != nil {
			return nil, err
		}
		m.hosts = append(m.hosts, hp)
	}
	u, err := url.Parse("redis://x" + rest)
	if err != nil {
		return nil, errors.New("store: REDIS_URL has a malformed path or query")
	}
	m.path, m.query = u.Path, u.Query()
	return m, nil
}

// hostPort checks host[:port] and adds the default port.
func hostPort(h, defPort string) (string, error) {
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = h, defPort
		if strings.Contains(strings.Trim(h, "[]"), ":") && !strings.HasPrefix(h, "[") {
			return "", fmt.Errorf("store: REDIS_URL host %q is malformed (want host:port)", clip(h))
		}
		host = strings.Trim(host, "[]")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("store: REDIS_URL host %q has a bad port", clip(host))
	}
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return "", fmt.Errorf("store: REDIS_URL host %q is malformed", clip(host))
	}
	return net.JoinHostPort(host, port), nil
}

// goRedisURL rebuilds m as the single-host URL with addr= options that
// go-redis's parsers take, with extra query options and without
// credentials (set afterwards, so no parse error can quote them).
func (m *multiHost) goRedisURL(path string, extra url.Values) string {
	q := url.Values{}
	for k, v := range m.query {
		q[k] = v
	}
	for k, v := range extra {
		q[k] = v
	}
	q["addr"] = m.hosts[1:]
	scheme := "redis"
	if m.tls {
		scheme = "rediss"
	}
	return scheme + "://" + m.hosts[0] + path + "?" + q.Encode()
}

// parseClusterURL parses the redis+cluster:// form (raw with the plain
// scheme).
func parseClusterURL(raw string) (*redis.ClusterOptions, error) {
	m, err := parseMultiHost(raw, topologyCluster)
	if err != nil {
		return nil, err
	}
	if p := strings.Trim(m.path, "/"); p != "" && p != "0" {
		return nil, errors.New("store: REDIS_URL: a Redis Cluster has only database 0")
	}
	o, err := redis.ParseClusterURL(m.goRedisURL("", nil))
	if err != nil {
		return nil, fmt.Errorf("store: REDIS_URL: %v", redactMulti(err, m))
	}
	o.Username, o.Password = m.user, m.password
	if o.TLSConfig != nil {
		// go-redis names the first host; every node is checked against its own.
		o.TLSConfig.ServerName = ""
	}
	applyDefaults(m.query, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolSize)
	o.ClusterStateReloadInterval = clusterStateReload
	return o, nil
}

// parseSentinelURL parses the redis+sentinel:// form (raw with the plain
// scheme).
func parseSentinelURL(raw string) (*redis.FailoverOptions, error) {
	m, err := parseMultiHost(raw, topologySentinel)
	if err != nil {
		return nil, err
	}
	sentinelUser, sentinelPassword := m.query.Get("sentinel_username"), m.query.Get("sentinel_password")
	m.query.Del("sentinel_username")
	m.query.Del("sentinel_password")
	o, err := redis.ParseFailoverURL(m.goRedisURL(m.path, url.Values{"master_name": {m.master}}))
	if err != nil {
		return nil, fmt.Errorf("store: REDIS_URL: %v", redactMulti(err, m, sentinelPassword))
	}
	o.Username, o.Password = m.user, m.password
	o.SentinelUsername, o.SentinelPassword = sentinelUser, sentinelPassword
	applyDefaults(m.query, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolSize)
	return o, nil
}

// redactMulti hides m's password and the extra secrets in err's text.
func redactMulti(err error, m *multiHost, secrets ...string) string {
	msg := err.Error()
	for _, sec := range append(secrets, m.password) {
		if sec != "" {
			msg = strings.ReplaceAll(msg, sec, "xxxxx")
		}
	}
	return msg
}
