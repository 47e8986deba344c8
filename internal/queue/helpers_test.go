package queue

import (
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

// backends lists Redis and the embedded miniredis: the queue must work on
// both.
var backends = []backend{{"redis", realRedis}, {"miniredis", miniRedis}}

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
