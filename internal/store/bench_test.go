package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

// Benchmark population: benchChats readers, each following benchTagsPerChat
// of benchTagPool tags and two of 100 keywords, every fifth with breaking
// alerts, every one also following the tag "all".
const (
	benchChats       = 10000
	benchTagPool     = 200
	benchTagsPerChat = 5
)

func benchChat(id int64, r *rand.Rand) news.Chat {
	c := news.Chat{ID: id, Lang: news.Langs[int(id)%len(news.Langs)], Breaking: id%5 == 0, Tags: []string{"all"}}
	for range benchTagsPerChat {
		c.Tags = append(c.Tags, fmt.Sprintf("tag-%d", r.IntN(benchTagPool)))
	}
	c.Keywords = []string{fmt.Sprintf("kw%d", r.IntN(100)), fmt.Sprintf("kw%d", r.IntN(100))}
	return c
}

// usedMemory reads used_memory from INFO memory (0 when the server does
// not report it, as miniredis).
func usedMemory(b *testing.B, rdb redis.UniversalClient) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkStore fills a server with 10k chats and measures the chat
// write path and the fan-out reads, plus Redis memory per chat (real Redis
// only). Run with: go test -run '^$' -bench Store ./internal/store/
func BenchmarkStore(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			rdb := be.start(b)
			st := store.New(rdb, store.Options{Logger: quiet})
			r := rand.New(rand.NewPCG(1, 2))
			mem0 := usedMemory(b, rdb)
			for id := int64(1); id <= benchChats; id++ {
				c := benchChat(id, r)
				if _, err := st.UpdateChat(ctx, id, func(dst *news.Chat, _ bool) error { *dst = c; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			mem1 := usedMemory(b, rdb)

			if mem0 > 0 {
				b.Run("Memory", func(b *testing.B) {
					for b.Loop() {
					}
					chatKey, _ := rdb.MemoryUsage(ctx, st.Prefix()+"chat:{c1}:1").Result()
					var allSet int64
					for n := range 16 {
						m, _ := rdb.MemoryUsage(ctx, fmt.Sprintf("%ssub:{c%d}:uk:tag:all", st.Prefix(), n)).Result()
						allSet += m
					}
					b.ReportMetric(float64(mem1-mem0)/benchChats, "B/chat")
					b.ReportMetric(float64(chatKey), "B/chat-key")
					b.ReportMetric(float64(allSet)/float64(benchChats/3), "B/member-of-large-set")
				})
			}
			b.Run("UpdateChat", func(b *testing.B) {
				r := rand.New(rand.NewPCG(3, 4))
				for b.Loop() {
					id := 1 + r.Int64N(benchChats)
					tag := fmt.Sprintf("tag-%d", r.IntN(benchTagPool))
					_, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
						c.Tags = append(c.Tags[:1], tag) // replace all but "all"
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Subscribers3333", func(b *testing.B) {
				for b.Loop() {
					ids, err := st.Subscribers(ctx, news.Ukrainian, "all")
					if err != nil || len(ids) < benchChats/3 {
						b.Fatalf("Subscribers(all) = %d, %v", len(ids), err)
					}
				}
			})
			b.Run("SubscribersTypicalTag", func(b *testing.B) {
				for b.Loop() {
					if _, err := st.Subscribers(ctx, news.Ukrainian, "tag-7"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("KeywordSubscribers", func(b *testing.B) {
				for b.Loop() {
					if _, err := st.KeywordSubscribers(ctx, news.English); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
