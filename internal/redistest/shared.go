package redistest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// SharedCluster is one Redis Cluster shared by the tests of a test binary:
// started by TestMain (RunWithCluster), handed emptied to one test at a
// time (Take).
type SharedCluster struct {
	c    *Cluster
	skip string
	mu   sync.Mutex
}

// StartShared starts a cluster for a test binary's TestMain. When
// redis-server cannot run one, it records why (tests that Take it skip)
// and returns no error.
func StartShared() (*SharedCluster, error) {
	s := &SharedCluster{}
	c, err := NewCluster()
	switch {
	case errors.Is(err, ErrUnsupported):
		s.skip = err.Error()
	case err != nil:
		return nil, fmt.Errorf("redistest: unable to start a Redis Cluster: %w", err)
	default:
		s.c = c
	}
	return s, nil
}

// Close stops the cluster, if one runs.
func (s *SharedCluster) Close() {
	if s != nil && s.c != nil {
		s.c.Close()
	}
}

// Take hands the cluster, emptied, to t until it ends, or skips t when
// there is no cluster.
func (s *SharedCluster) Take(t testing.TB) *redis.ClusterClient {
	t.Helper()
	if s == nil || s.c == nil {
		reason := "not started"
		if s != nil {
			reason = s.skip
		}
		t.Skipf("Redis Cluster backend skipped: %s", reason)
	}
	s.mu.Lock()
	t.Cleanup(s.mu.Unlock)
	if err := s.c.Flush(context.Background()); err != nil {
		t.Fatalf("flush the cluster: %v", err)
	}
	return s.c.Client()
}
