package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

func TestTopicsAreReadersInTheirGroupsShard(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		const group = -1001234567890
		// Two callers at once agree on the ID.
		ids := make([]int64, 4)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id, err := st.TopicID(ctx, group, 7)
				if err != nil {
					t.Error(err)
				}
				ids[i] = id
			}()
		}
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("TopicID gave %v for one topic", ids)
			}
		}
		a := ids[0]
		b, err := st.TopicID(ctx, group, 9)
		if err != nil {
			t.Fatal(err)
		}
		if a == b || !news.IsTopicID(a) || !news.IsTopicID(b) || news.IsTopicID(group) {
			t.Fatalf("topic IDs %d, %d", a, b)
		}
		// The shard is the group's: the record and the thread map are
		// written in one transaction (one slot on a Cluster).
		for thread, id := range map[int]int64{7: a, 9: b} {
			if _, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
				c.Lang, c.Group, c.Tags = news.Ukrainian, true, []string{"tag-" + string(rune('a'+thread))}
				c.Topic = &news.Topic{Chat: group, Thread: thread}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		subs, err := st.Subscribers(ctx, news.Ukrainian, "tag-h")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{a}, subs); diff != "" {
			t.Errorf("subscribers of topic 7's tag (-want +got):\n%s", diff)
		}
		c, err := st.Chat(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if chat, thread := c.Destination(); chat != group || thread != 9 {
			t.Errorf("Destination = %d, %d; want %d, 9", chat, thread, group)
		}
		got, err := st.Topics(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[int]int64{7: a, 9: b}, got); diff != "" {
			t.Errorf("Topics (-want +got):\n%s", diff)
		}
		// The group itself is unchanged: its ID, its own settings.
		if _, err := st.Chat(ctx, group); !errors.Is(err, news.ErrNotFound) {
			t.Errorf("the group has settings of its own: %v", err)
		}
	})
}

func TestTopicValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		for _, c := range []struct {
			group  int64
			thread int
		}{{42, 1}, {-100123, 0}, {-news.TopicIDBase - 5, 3}} {
			if _, err := st.TopicID(ctx, c.group, c.thread); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("TopicID(%d, %d): %v, want ErrInvalid", c.group, c.thread, err)
			}
		}
		id, err := st.TopicID(ctx, -100123, 5)
		if err != nil {
			t.Fatal(err)
		}
		for name, topic := range map[string]*news.Topic{
			"another shard's group": {Chat: -100124, Thread: 5},
			"no thread":             {Chat: -100123},
		} {
			_, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
				c.Lang, c.Topic = news.English, topic
				return nil
			})
			if !errors.Is(err, news.ErrInvalid) {
				t.Errorf("%s: UpdateChat: %v, want ErrInvalid", name, err)
			}
		}
		if _, err := st.UpdateChat(ctx, 77, func(c *news.Chat, _ bool) error {
			c.Lang, c.Topic = news.English, &news.Topic{Chat: -100123, Thread: 5}
			return nil
		}); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("a chat ID with a topic: %v, want ErrInvalid", err)
		}
	})
}
