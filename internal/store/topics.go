package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// A forum topic with settings of its own is a reader like any chat: its
// record, its subscription index entries and its delivery queue are those
// of a chat whose ID is the topic's ID. TopicID gives a topic that ID once:
// −(news.TopicIDBase + 16·k + n), where n is the supergroup's chat shard
// and k counts the shard's topics (topics:{c<n>}:seq). The topic thus lives
// in its group's shard (hash slot), and no Telegram chat ID can be a topic
// ID. The topic's record holds the supergroup and thread (news.Chat.Topic),
// which is where its news is posted; the hash topics:{c<n>}:<group> maps a
// thread back to its ID. Chats without topics keep their IDs and keys.

// maxTopicSeq keeps 16·k + n below news.TopicIDBase.
const maxTopicSeq = news.TopicIDBase/chatShards - 1

// topicID is the k-th topic ID of shard n.
func topicID(k int64, n int) int64 { return -(news.TopicIDBase + k*chatShards + int64(n)) }

// checkTopic validates a supergroup and thread.
func checkTopic(group int64, thread int) error {
	if group >= 0 || news.IsTopicID(group) || group <= -news.TopicIDBase || thread <= 0 {
		return fmt.Errorf("store: topic %d of chat %d: %w", thread, group, news.ErrInvalid)
	}
	return nil
}

// TopicID returns the settings ID of topic thread of supergroup group,
// giving it one when it has none. The same topic always gets the same ID
// (concurrent callers agree). It returns an error wrapping news.ErrInvalid
// for a group that is not a group or a thread that is not positive.
func (s *Store) TopicID(ctx context.Context, group int64, thread int) (int64, error) {
	if err := checkTopic(group, thread); err != nil {
		return 0, err
	}
	key, field := s.k.topics(group), strconv.Itoa(thread)
	id, found, err := s.topicLookup(ctx, key, field)
	if err != nil || found {
		return id, err
	}
	n := chatShard(group)
	for range maxTxAttempts {
		k, err := s.rdb.Incr(ctx, s.k.topicSeq(n)).Result()
		if err != nil {
			return 0, fmt.Errorf("store: unable to number topic %d of chat %d: %w", thread, group, err)
		}
		if k > maxTopicSeq {
			return 0, fmt.Errorf("store: topic IDs of shard %d are used up", n)
		}
		id = topicID(k, n)
		// A counter lost with its data (a restore) must not hand out an
		// ID some record still holds.
		taken, err := s.rdb.Exists(ctx, s.k.chat(id)).Result()
		if err != nil {
			return 0, fmt.Errorf("store: unable to number topic %d of chat %d: %w", thread, group, err)
		}
		if taken > 0 {
			continue
		}
		set, err := s.rdb.HSetNX(ctx, key, field, id).Result()
		if err != nil {
			return 0, fmt.Errorf("store: unable to save topic %d of chat %d: %w", thread, group, err)
		}
		if set {
			return id, nil
		}
		// Another caller numbered the topic first.
		id, _, err = s.topicLookup(ctx, key, field)
		return id, err
	}
	return 0, fmt.Errorf("store: unable to number topic %d of chat %d: every candidate ID was taken", thread, group)
}

// topicLookup reads one thread's topic ID.
func (s *Store) topicLookup(ctx context.Context, key, field string) (int64, bool, error) {
	v, err := s.rdb.HGet(ctx, key, field).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: unable to read topic %s: %w", field, err)
	}
	id, ok := parseID(v)
	if !ok || !news.IsTopicID(id) {
		return 0, false, fmt.Errorf("store: topic %s: %w", field, errCorrupt)
	}
	return id, true, nil
}

// Topics returns the topics of supergroup group that were given an ID,
// thread → topic ID (empty when none).
func (s *Store) Topics(ctx context.Context, group int64) (map[int]int64, error) {
	if err := checkTopic(group, 1); err != nil {
		return nil, err
	}
	all, err := s.rdb.HGetAll(ctx, s.k.topics(group)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: unable to list the topics of chat %d: %w", group, err)
	}
	out := make(map[int]int64, len(all))
	for f, v := range all {
		thread, ferr := strconv.Atoi(f)
		id, ok := parseID(v)
		if ferr == nil && ok && news.IsTopicID(id) {
			out[thread] = id
		}
	}
	return out, nil
}

// checkChatTopic validates the Topic of a chat record: only a topic ID
// has one, of a supergroup in the same shard, with a positive thread.
func checkChatTopic(c *news.Chat) error {
	if c.Topic == nil {
		return nil
	}
	if !news.IsTopicID(c.ID) || checkTopic(c.Topic.Chat, c.Topic.Thread) != nil ||
		chatShard(c.Topic.Chat) != chatShard(c.ID) {
		return fmt.Errorf("store: chat %d has an invalid topic (%d, %d): %w", c.ID, c.Topic.Chat, c.Topic.Thread, news.ErrInvalid)
	}
	return nil
}

// saveTopic queues the HSET that maps a topic record's thread to its ID
// (again: a restored backup rebuilds the map this way). The map shares the
// record's slot.
func (s *Store) saveTopic(ctx context.Context, p redis.Pipeliner, c *news.Chat) {
	if c.Topic != nil {
		p.HSet(ctx, s.k.topics(c.Topic.Chat), strconv.Itoa(c.Topic.Thread), c.ID)
	}
}
