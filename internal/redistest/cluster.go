package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster timings: a node unreachable for clusterNodeTimeout is failed
// over; the helpers wait up to clusterReady for the cluster to settle.
const (
	clusterNodeTimeout = 1000 * time.Millisecond
	clusterReady       = 20 * time.Second
	clusterSlots       = 16384
	clusterMasters     = 3
)

// Cluster is a Redis Cluster of real redis-server processes on loopback
// TCP ports: 3 masters sharing the 16384 slots, and with WithReplicas one
// replica each.
type Cluster struct {
	dir     string
	nodes   []*node // masters first, then replica i of master i
	buses   []int
	masters int
	client  *redis.ClusterClient
}

// ClusterOption changes how a cluster is started.
type ClusterOption func(*clusterConfig)

type clusterConfig struct{ replicas bool }

// WithReplicas gives every master one replica (3+3 nodes), which Failover
// and KillMaster need.
func WithReplicas() ClusterOption { return func(c *clusterConfig) { c.replicas = true } }

// StartCluster starts a cluster and stops it when the test ends. It skips
// the test, with the reason, when redis-server is missing or older than 7.0.
func StartCluster(t testing.TB, opts ...ClusterOption) *Cluster {
	t.Helper()
	c, err := NewCluster(opts...)
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("Redis Cluster tests skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// NewCluster starts a cluster that lives until Close, for a TestMain that
// shares one cluster between the tests of a package. The error wraps
// ErrUnsupported when redis-server cannot run a cluster here.
func NewCluster(opts ...ClusterOption) (*Cluster, error) {
	var cfg clusterConfig
	for _, o := range opts {
		o(&cfg)
	}
	if _, err := serverBinary(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "nbc")
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	c := &Cluster{dir: dir, masters: clusterMasters}
	n := clusterMasters
	if cfg.replicas {
		n *= 2
	}
	if err := c.start(n); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// start launches n nodes and joins them into one cluster.
func (c *Cluster) start(n int) error {
	for i := range n {
		d := filepath.Join(c.dir, strconv.Itoa(i))
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("redistest: %w", err)
		}
		var bus int
		nd, err := startNode(d, func(port, b int) []string {
			bus = b
			return append(commonArgs(d, port),
				"--cluster-enabled", "yes",
				"--cluster-config-file", "nodes.conf",
				"--cluster-port", strconv.Itoa(b),
				"--cluster-node-timeout", strconv.FormatInt(clusterNodeTimeout.Milliseconds(), 10),
				"--cluster-replica-validity-factor", "0",
				"--repl-diskless-sync", "yes",
				"--repl-diskless-sync-delay", "0",
			)
		})
		if err != nil {
			return err
		}
		c.nodes, c.buses = append(c.nodes, nd), append(c.buses, bus)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterReady)
	defer cancel()
	if err := c.join(ctx); err != nil {
		return err
	}
	if err := c.awaitHealthy(); err != nil {
		return err
	}
	c.client = redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	return c.reload()
}

// reload refreshes the client's slot map and waits until it reaches the
// masters.
func (c *Cluster) reload() error {
	ctx := context.Background()
	c.client.ReloadState(ctx)
	return waitFor(clusterReady, func() (bool, error) {
		var n atomic.Int32
		err := c.client.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			n.Add(1)
			return m.Ping(ctx).Err()
		})
		if err != nil || int(n.Load()) != c.masters {
			c.client.ReloadState(ctx)
			return false, fmt.Errorf("%w: %d masters, %v", errNotYet, n.Load(), err)
		}
		return true, nil
	})
}

// join assigns the slots to the masters, introduces every node to the
// first one and makes node masters+i a replica of master i.
func (c *Cluster) join(ctx context.Context) error {
	ids := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		cl := nd.client()
		err := cl.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err()
		if err == nil && i < c.masters {
			lo, hi := i*clusterSlots/c.masters, (i+1)*clusterSlots/c.masters-1
			err = cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err()
		}
		if err == nil {
			ids[i], err = cl.Do(ctx, "CLUSTER", "MYID").Text()
		}
		if err == nil && i > 0 {
			err = c.meet(ctx, nd.port, c.buses[i])
		}
		cl.Close()
		if err != nil {
			return fmt.Errorf("redistest: set up cluster node %d: %w", i, err)
		}
	}
	if err := c.awaitKnown(len(c.nodes)); err != nil {
		return err
	}
	for i := c.masters; i < len(c.nodes); i++ {
		cl := c.nodes[i].client()
		err := cl.Do(ctx, "CLUSTER", "REPLICATE", ids[i-c.masters]).Err()
		cl.Close()
		if err != nil {
			return fmt.Errorf("redistest: make node %d a replica: %w", i, err)
		}
	}
	return nil
}

// meet introduces the node on port (bus port bus) to the first node.
func (c *Cluster) meet(ctx context.Context, port, bus int) error {
	cl := c.nodes[0].client()
	defer cl.Close()
	return cl.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", port, bus).Err()
}

// awaitKnown waits until every node knows n nodes, handshakes done.
func (c *Cluster) awaitKnown(n int) error {
	return c.eachAlive(func(cl *redis.Client) error {
		return waitFor(clusterReady, func() (bool, error) {
			out, err := cl.ClusterNodes(context.Background()).Result()
			if err != nil {
				return false, fmt.Errorf("%w: %v", errNotYet, err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			return len(lines) == n && !strings.Contains(out, "handshake") && !strings.Contains(out, "noaddr"), nil
		})
	})
}

// awaitHealthy waits until every running node reports cluster_state:ok
// with all slots served and knows the same masters, and every running
// replica is in sync with its master.
func (c *Cluster) awaitHealthy() error {
	return c.eachAlive(func(cl *redis.Client) error {
		return waitFor(clusterReady, func() (bool, error) {
			ctx := context.Background()
			info, err := cl.ClusterInfo(ctx).Result()
			if err != nil {
				return false, fmt.Errorf("%w: %v", errNotYet, err)
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384") {
				return false, fmt.Errorf("%w: %s", errNotYet, firstLine(info))
			}
			repl, err := cl.Info(ctx, "replication").Result()
			if err != nil {
				return false, fmt.Errorf("%w: %v", errNotYet, err)
			}
			if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
				return false, fmt.Errorf("%w: replica not in sync", errNotYet)
			}
			return true, nil
		})
	})
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(l)
}

// eachAlive runs fn with a client of every running node.
func (c *Cluster) eachAlive(fn func(*redis.Client) error) error {
	for _, nd := range c.nodes {
		if !nd.alive() {
			continue
		}
		cl := nd.client()
		err := fn(cl)
		cl.Close()
		if err != nil {
			return fmt.Errorf("redistest: cluster node %s: %w", nd.addr(), err)
		}
	}
	return nil
}

// Addrs lists the host:port of every node, masters first.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		out[i] = nd.addr()
	}
	return out
}

// URL is a REDIS_URL for the cluster (redis+cluster://host:port,…/).
func (c *Cluster) URL() string { return "redis+cluster://" + strings.Join(c.Addrs(), ",") + "/" }

// Client is the cluster's shared client, closed by Close.
func (c *Cluster) Client() *redis.ClusterClient { return c.client }

// Flush empties every master (FLUSHALL); replicas follow.
func (c *Cluster) Flush(ctx context.Context) error {
	return c.client.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		return m.FlushAll(ctx).Err()
	})
}

// Close stops every node and removes their directories.
func (c *Cluster) Close() {
	if c.client != nil {
		c.client.Close()
	}
	for _, nd := range c.nodes {
		nd.kill()
	}
	os.RemoveAll(c.dir)
}

// replicaOf finds a running replica in sync with a running master (the
// master at masterAddr unless it is empty) and returns both.
func (c *Cluster) replicaOf(masterAddr string) (replica, master *node, err error) {
	ctx := context.Background()
	for _, nd := range c.nodes {
		if !nd.alive() {
			continue
		}
		cl := nd.client()
		repl, err := cl.Info(ctx, "replication").Result()
		cl.Close()
		if err != nil || !strings.Contains(repl, "role:slave") || !strings.Contains(repl, "master_link_status:up") {
			continue
		}
		port := infoField(repl, "master_port")
		for _, m := range c.nodes {
			if m.alive() && strconv.Itoa(m.port) == port && (masterAddr == "" || m.addr() == masterAddr) {
				return nd, m, nil
			}
		}
	}
	return nil, nil, errors.New("redistest: no replica in sync with a running master (start the cluster WithReplicas)")
}

// masterOf returns the address of the master that serves key's slot.
func (c *Cluster) masterOf(t testing.TB, key string) string {
	t.Helper()
	m, err := c.client.MasterForKey(context.Background(), key)
	if err != nil {
		t.Fatalf("redistest: master for %q: %v", key, err)
	}
	return m.Options().Addr
}

// infoField returns a field of an INFO reply.
func infoField(info, name string) string {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+":"); ok {
			return v
		}
	}
	return ""
}

// Failover promotes a replica with CLUSTER FAILOVER (its master agrees and
// becomes its replica), waits until the cluster is healthy again and
// returns the old and the new master's addresses.
func (c *Cluster) Failover(t testing.TB) (from, to string) {
	t.Helper()
	return c.failover(t, "")
}

// FailoverOf is Failover of the master that serves key's hash slot.
func (c *Cluster) FailoverOf(t testing.TB, key string) (from, to string) {
	t.Helper()
	return c.failover(t, c.masterOf(t, key))
}

func (c *Cluster) failover(t testing.TB, masterAddr string) (from, to string) {
	t.Helper()
	replica, master, err := c.replicaOf(masterAddr)
	if err != nil {
		t.Fatal(err)
	}
	cl := replica.client()
	defer cl.Close()
	if err := cl.Do(context.Background(), "CLUSTER", "FAILOVER").Err(); err != nil {
		t.Fatalf("redistest: CLUSTER FAILOVER on %s: %v", replica.addr(), err)
	}
	c.awaitPromoted(t, replica)
	return master.addr(), replica.addr()
}

// KillMaster kills (SIGKILL) a master that has a replica, waits until the
// replica has taken over (after the 1 s node timeout) and the cluster is
// healthy, and returns the killed and the promoted node's addresses.
func (c *Cluster) KillMaster(t testing.TB) (killed, promoted string) {
	t.Helper()
	return c.killMaster(t, "")
}

// KillMasterOf is KillMaster of the master that serves key's hash slot.
func (c *Cluster) KillMasterOf(t testing.TB, key string) (killed, promoted string) {
	t.Helper()
	return c.killMaster(t, c.masterOf(t, key))
}

func (c *Cluster) killMaster(t testing.TB, masterAddr string) (killed, promoted string) {
	t.Helper()
	replica, master, err := c.replicaOf(masterAddr)
	if err != nil {
		t.Fatal(err)
	}
	master.kill()
	c.awaitPromoted(t, replica)
	return master.addr(), replica.addr()
}

// awaitPromoted waits until nd is a master and the cluster is healthy,
// then refreshes the client's slot map.
func (c *Cluster) awaitPromoted(t testing.TB, nd *node) {
	t.Helper()
	cl := nd.client()
	defer cl.Close()
	err := waitFor(clusterReady, func() (bool, error) {
		repl, err := cl.Info(context.Background(), "replication").Result()
		return err == nil && strings.Contains(repl, "role:master"), nil
	})
	if err == nil {
		err = c.awaitHealthy()
	}
	if err == nil {
		err = c.reload()
	}
	if err != nil {
		t.Fatalf("redistest: failover to %s: %v", nd.addr(), err)
	}
}
