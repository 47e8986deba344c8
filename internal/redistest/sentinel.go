package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinels of StartSentinel monitor.
const MasterName = "mymaster"

// sentinelCount is how many sentinels watch the master (quorum 2).
const sentinelCount = 3

// sentinelReady bounds every wait of the Sentinel helpers.
const sentinelReady = 30 * time.Second

// The data nodes refuse writes (NOREPLICAS) unless a replica is connected
// and acknowledged replication within the lag, as docs/operations.md tells
// operators to configure a Sentinel set-up: a master that lost its replica
// (promoted in a failover, or cut off by a partition) stops acknowledging
// writes that the failover would throw away.
const (
	MinReplicasToWrite = 1
	MinReplicasMaxLag  = 10 // seconds
)

// Sentinel is a master, one replica and three sentinels watching them,
// all real redis-server processes on loopback TCP ports. The master takes
// writes only while its replica is connected (MinReplicasToWrite).
type Sentinel struct {
	dir       string
	cfg       sentinelConfig
	data      []*node // master and replicas, in their initial roles
	sentinels []*node
	client    *redis.Client
}

// SentinelOption changes the set-up StartSentinel starts.
type SentinelOption func(*sentinelConfig)

type sentinelConfig struct {
	replicas    int // data nodes replicating the master
	minReplicas int // min-replicas-to-write; 0: off
}

// WithSentinelReplicas starts n replicas of the master instead of one.
func WithSentinelReplicas(n int) SentinelOption {
	return func(c *sentinelConfig) { c.replicas = max(n, 1) }
}

// WithMinReplicasToWrite sets min-replicas-to-write to n (0: off) on the
// data nodes instead of MinReplicasToWrite.
func WithMinReplicasToWrite(n int) SentinelOption {
	return func(c *sentinelConfig) { c.minReplicas = n }
}

// StartSentinel starts the set-up and stops it when the test ends. It
// skips the test, with the reason, when redis-server is missing or older
// than 7.0.
func StartSentinel(t testing.TB, opts ...SentinelOption) *Sentinel {
	t.Helper()
	cfg := sentinelConfig{replicas: 1, minReplicas: MinReplicasToWrite}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := newSentinel(cfg)
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("Sentinel tests skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

func newSentinel(cfg sentinelConfig) (*Sentinel, error) {
	if _, err := serverBinary(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "nbs")
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	s := &Sentinel{dir: dir, cfg: cfg}
	if err := s.start(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *Sentinel) start() error {
	for i := range 1 + s.cfg.replicas {
		d := filepath.Join(s.dir, "data"+strconv.Itoa(i))
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("redistest: %w", err)
		}
		nd, err := startNode(d, func(port, _ int) []string {
			args := append(commonArgs(d, port), "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
				"--min-replicas-to-write", strconv.Itoa(s.cfg.minReplicas),
				"--min-replicas-max-lag", strconv.Itoa(MinReplicasMaxLag))
			if i > 0 {
				args = append(args, "--replicaof", "127.0.0.1", strconv.Itoa(s.data[0].port))
			}
			return args
		})
		if err != nil {
			return err
		}
		s.data = append(s.data, nd)
	}
	for _, nd := range s.data[1:] {
		if err := awaitInSync(nd); err != nil {
			return err
		}
	}
	for i := range sentinelCount {
		if err := s.startSentinel(i); err != nil {
			return err
		}
	}
	if err := s.awaitMaster(s.data[0].addr(), true); err != nil {
		return err
	}
	s.client = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: MasterName, SentinelAddrs: s.Addrs()})
	return nil
}

// startSentinel starts sentinel i; its configuration file must be
// writable, as sentinels rewrite it.
func (s *Sentinel) startSentinel(i int) error {
	bin, err := serverBinary()
	if err != nil {
		return err
	}
	d := filepath.Join(s.dir, "sentinel"+strconv.Itoa(i))
	if err := os.Mkdir(d, 0o700); err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	conf := filepath.Join(d, "sentinel.conf")
	var lastErr error
	for range startAttempts {
		ports, err := freePorts(1)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("port %[1]d\nbind 127.0.0.1\ndir %[2]s\nlogfile %[3]s\n"+
			"sentinel monitor %[4]s 127.0.0.1 %[5]d 2\n"+
			"sentinel down-after-milliseconds %[4]s 1000\n"+
			"sentinel failover-timeout %[4]s 10000\n"+
			"sentinel parallel-syncs %[4]s 1\n",
			ports[0], d, filepath.Join(d, "redis.log"), MasterName, s.data[0].port)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return fmt.Errorf("redistest: %w", err)
		}
		nd := &node{dir: d, port: ports[0]}
		if lastErr = nd.run(bin, []string{conf, "--sentinel"}); lastErr == nil {
			s.sentinels = append(s.sentinels, nd)
			return nil
		}
	}
	return lastErr
}

// awaitInSync waits until the replica nd is in sync with its master.
func awaitInSync(nd *node) error {
	cl := nd.client()
	defer cl.Close()
	return waitFor(sentinelReady, func() (bool, error) {
		repl, err := cl.Info(context.Background(), "replication").Result()
		return err == nil && strings.Contains(repl, "master_link_status:up"), nil
	})
}

// awaitMaster waits until every sentinel names addr as the master and,
// with replicas, also knows a replica of it.
func (s *Sentinel) awaitMaster(addr string, replicas bool) error {
	for _, sn := range s.sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: sn.addr(), MaxRetries: -1})
		err := waitFor(sentinelReady, func() (bool, error) {
			ctx := context.Background()
			got, err := c.GetMasterAddrByName(ctx, MasterName).Result()
			if err != nil || len(got) != 2 || net.JoinHostPort(got[0], got[1]) != addr {
				return false, nil
			}
			if !replicas {
				return true, nil
			}
			reps, err := c.Replicas(ctx, MasterName).Result()
			return err == nil && len(reps) > 0, nil
		})
		c.Close()
		if err != nil {
			return fmt.Errorf("redistest: sentinel %s does not name %s the master: %w", sn.addr(), addr, err)
		}
	}
	return nil
}

// Addrs lists the sentinels' host:port.
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.sentinels))
	for i, nd := range s.sentinels {
		out[i] = nd.addr()
	}
	return out
}

// URL is a REDIS_URL for the set-up (redis+sentinel://mymaster@host:port,…/0).
func (s *Sentinel) URL() string {
	return "redis+sentinel://" + MasterName + "@" + strings.Join(s.Addrs(), ",") + "/0"
}

// Client is a failover client of the set-up, closed at test end.
func (s *Sentinel) Client() *redis.Client { return s.client }

// Master returns the address the sentinels name as the master.
func (s *Sentinel) Master(t testing.TB) string {
	t.Helper()
	c := redis.NewSentinelClient(&redis.Options{Addr: s.sentinels[0].addr()})
	defer c.Close()
	got, err := c.GetMasterAddrByName(context.Background(), MasterName).Result()
	if err != nil || len(got) != 2 {
		t.Fatalf("redistest: SENTINEL GET-MASTER-ADDR-BY-NAME: %v %v", got, err)
	}
	return net.JoinHostPort(got[0], got[1])
}

// Failover runs SENTINEL FAILOVER and waits until every sentinel names the
// other data node the master and that node says so itself and takes writes
// (the old master has become its replica). It returns the
// old and the new master's addresses.
func (s *Sentinel) Failover(t testing.TB) (from, to string) {
	t.Helper()
	from = s.Master(t)
	for _, nd := range s.data {
		if nd.addr() == from {
			continue
		}
		if err := awaitInSync(nd); err != nil {
			t.Fatalf("redistest: replica %s not in sync before the failover: %v", nd.addr(), err)
		}
	}
	c := redis.NewSentinelClient(&redis.Options{Addr: s.sentinels[0].addr()})
	defer c.Close()
	err := waitFor(sentinelReady, func() (bool, error) {
		// Refused while a previous failover is still settling: ask again.
		err := c.Failover(context.Background(), MasterName).Err()
		if err != nil {
			return false, fmt.Errorf("%w: %v", errNotYet, err)
		}
		return true, nil
	})
	if err == nil {
		err = waitFor(sentinelReady, func() (bool, error) {
			got, err := c.GetMasterAddrByName(context.Background(), MasterName).Result()
			if err == nil && len(got) == 2 {
				to = net.JoinHostPort(got[0], got[1])
			}
			return to != "" && to != from, nil
		})
	}
	if err == nil {
		err = s.awaitMaster(to, false)
	}
	if err == nil {
		err = s.awaitWrites(to)
	}
	if err != nil {
		t.Fatalf("redistest: SENTINEL FAILOVER: %v", err)
	}
	return from, to
}

// awaitWrites waits until the data node at addr says it is the master and
// has the replicas min-replicas-to-write asks for.
func (s *Sentinel) awaitWrites(addr string) error {
	for _, nd := range s.data {
		if nd.addr() != addr {
			continue
		}
		cl := nd.client()
		defer cl.Close()
		return waitFor(sentinelReady, func() (bool, error) {
			repl, err := cl.Info(context.Background(), "replication").Result()
			return err == nil && strings.Contains(repl, "role:master") && takesWrites(repl, s.cfg.minReplicas), nil
		})
	}
	return fmt.Errorf("redistest: no data node at %s", addr)
}

// takesWrites tells from INFO replication whether a master has the good
// min good replicas, as min-replicas-to-write asks (the line is there only
// when it is set).
func takesWrites(repl string, min int) bool {
	for _, line := range strings.Split(repl, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "min_slaves_good_slaves:"); ok {
			n, err := strconv.Atoi(v)
			return err == nil && n >= min
		}
	}
	return true // no min-replicas-to-write
}

func (s *Sentinel) close() {
	if s.client != nil {
		s.client.Close()
	}
	for _, nd := range append(s.sentinels, s.data...) {
		nd.kill()
	}
	os.RemoveAll(s.dir)
}
