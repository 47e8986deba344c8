package queue

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/redistest"
)

// backend is a Redis to run the queue on.
type backend struct {
	name  string
	start func(t *testing.T) redis.UniversalClient
}

func realRedis(t *testing.T) redis.UniversalClient { return redistest.Start(t).Client() }

func miniRedis(t *testing.T) redis.UniversalClient {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

// backends lists Redis, a Redis Cluster and the embedded miniredis: the
// queue must work on all three.
var backends = []backend{{"redis", realRedis}, {"cluster", sharedCluster}, {"miniredis", miniRedis}}

// The test binary shares one Redis Cluster (started by TestMain when
// redis-server can run one): a test takes it for itself, emptied.
var shared *redistest.SharedCluster

func TestMain(m *testing.M) {
	var err error
	if shared, err = redistest.StartShared(); err != nil {
		fmt.Fprintln(os.Stderr, "queue tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	shared.Close()
	os.Exit(code)
}

// sharedCluster hands the cluster, emptied, to one test at a time (until
// the test ends), or skips the test when there is no cluster.
func sharedCluster(t *testing.T) redis.UniversalClient { return shared.Take(t) }

func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

// rateInterval is the interval between slots at perSecond.
func rateInterval(perSecond float64) time.Duration {
	return time.Duration(float64(time.Second) / perSecond)
}

// testLimiter returns a limiter on rdb under the tests' prefix.
func testLimiter(rdb redis.UniversalClient, free, paid time.Duration, now func() time.Time) *Limiter {
	return New(rdb, "t:delivery").Limiter(free, paid, now)
}
