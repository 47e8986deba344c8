package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

// A daily digest time outside a day is refused; one inside is kept.
func TestDailyDigestValidated(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		for _, at := range []int{-1, 24 * 60} {
			_, err := st.UpdateChat(ctx, 6, func(c *news.Chat, _ bool) error {
				c.Lang, c.Digest = news.English, &news.DailyDigest{At: at}
				return nil
			})
			if !errors.Is(err, news.ErrInvalid) {
				t.Errorf("digest at %d: err = %v, want ErrInvalid", at, err)
			}
		}
		if _, err := st.UpdateChat(ctx, 6, func(c *news.Chat, _ bool) error {
			c.Lang, c.Digest = news.English, &news.DailyDigest{At: 8 * 60}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		c, err := st.Chat(ctx, 6)
		if err != nil || c.Digest == nil || c.Digest.At != 8*60 {
			t.Errorf("stored digest = %+v, %v; want at 480", c.Digest, err)
		}
	})
}
