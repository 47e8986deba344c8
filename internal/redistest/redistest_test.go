package redistest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRestartKeepsAOFData(t *testing.T) {
	s := Start(t, WithAOF())
	ctx := context.Background()
	c := s.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	got, err := c.Get(ctx, "k").Result()
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got != "v" {
		t.Fatalf("after restart got %q, want %q", got, "v")
	}
}

func TestClusterServesEverySlot(t *testing.T) {
	c := StartCluster(t)
	ctx := context.Background()
	rdb := c.Client()
	var masters atomic.Int32
	if err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		masters.Add(1)
		return m.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	if masters.Load() != 3 {
		t.Errorf("masters = %d, want 3", masters.Load())
	}
	// Keys spread over the three masters; each is readable through the
	// cluster client, and FLUSH empties them all.
	for i := range 30 {
		if err := rdb.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.DBSize(ctx).Val(); n != 30 {
		t.Errorf("DBSIZE = %d, want 30", n)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Errorf("DBSIZE after Flush = %d, want 0", n)
	}
	if !strings.HasPrefix(c.URL(), "redis+cluster://127.0.0.1:") {
		t.Errorf("URL = %q", c.URL())
	}
}

func TestClusterFailover(t *testing.T) {
	c := StartCluster(t, WithReplicas())
	ctx := context.Background()
	rdb := c.Client()
	for i := range 30 {
		if err := rdb.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// WAIT makes sure the replicas have every write before the failovers.
	if err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		return m.Wait(ctx, 1, 5*time.Second).Err()
	}); err != nil {
		t.Fatal(err)
	}
	from, to := c.Failover(t)
	if from == to {
		t.Fatalf("Failover kept master %s", from)
	}
	killed, promoted := c.KillMaster(t)
	if killed == promoted {
		t.Fatalf("KillMaster kept master %s", killed)
	}
	for i := range 30 {
		got, err := rdb.Get(ctx, fmt.Sprint("k", i)).Result()
		if err != nil || got != fmt.Sprint(i) {
			t.Fatalf("GET k%d after the failovers = %q, %v", i, got, err)
		}
	}
}

func TestSentinelFailover(t *testing.T) {
	// Without min-replicas-to-write the new master takes writes at once,
	// not after Sentinel has turned the old one into its replica.
	s := StartSentinel(t, WithMinReplicasToWrite(0))
	ctx := context.Background()
	rdb := s.Client()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Wait(ctx, 1, 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	from, to := s.Failover(t)
	if from == to || s.Master(t) != to {
		t.Fatalf("Failover from %s to %s; sentinels name %s", from, to, s.Master(t))
	}
	// The failover client follows the new master; a write may fail once
	// while it switches.
	var err error
	for range 50 {
		if err = rdb.Set(ctx, "k2", "v2", 0).Err(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("SET after the failover: %v", err)
	}
	if got := rdb.Get(ctx, "k").Val(); got != "v" {
		t.Errorf("GET k after the failover = %q, want v", got)
	}
	if !strings.HasPrefix(s.URL(), "redis+sentinel://mymaster@127.0.0.1:") {
		t.Errorf("URL = %q", s.URL())
	}
}
