package embedded_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/store"
	"newsbot/internal/store/embedded"
)

// BenchmarkSave measures a full save (snapshot under miniredis's lock,
// JSON, fsync, rename) of 10k chats with 5 tags and 2 keywords each and 1500
// articles, and reports the file size. A save that finds nothing changed
// still pays for the snapshot and the encoding, but not for the write.
func BenchmarkSave(b *testing.B) {
	ctx := context.Background()
	srv, err := embedded.Start(ctx, embedded.Options{DataDir: b.TempDir(), SaveEvery: time.Hour, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	rdb, err := store.Open(ctx, srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{Logger: quiet})
	for id := int64(1); id <= 10000; id++ {
		c := news.Chat{ID: id, Lang: news.Langs[id%3], Breaking: id%5 == 0,
			Tags:     []string{fmt.Sprint("tag-", id%200), fmt.Sprint("tag-", id%77), fmt.Sprint("tag-", id%31), "all", "war"},
			Keywords: []string{fmt.Sprint("kw", id%100), fmt.Sprint("kw", id%37)}}
		if _, err := st.UpdateChat(ctx, id, func(dst *news.Chat, _ bool) error { *dst = c; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	for _, ed := range news.Langs {
		for id := int64(1); id <= 500; id++ {
			a := &news.Article{ID: 8000000 + id, Edition: ed, Headline: "A headline of some length for the benchmark",
				Summary: "A summary of two or three sentences. It says what happened. And where.",
				Tags:    []news.Tag{{Slug: fmt.Sprint("tag-", id%200), Name: "Name"}}}
			if err := st.SaveArticle(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("changed", func(b *testing.B) {
		// A client pinging all along sees how long a save blocks commands.
		stop := make(chan struct{})
		worst := make(chan time.Duration)
		go func() {
			var max time.Duration
			for {
				select {
				case <-stop:
					worst <- max
					return
				default:
				}
				t0 := time.Now()
				rdb.Ping(ctx)
				max = maxDur(max, time.Since(t0))
			}
		}()
		i := 0
		for b.Loop() {
			i++
			if err := rdb.Set(ctx, "bench", i, 0).Err(); err != nil {
				b.Fatal(err)
			}
			if err := srv.Save(); err != nil {
				b.Fatal(err)
			}
		}
		close(stop)
		b.ReportMetric(float64((<-worst).Microseconds())/1000, "ms-max-stall")
		if fi, err := os.Stat(srv.Path()); err == nil {
			b.ReportMetric(float64(fi.Size())/1e6, "MB-file")
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			if err := srv.Save(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// BenchmarkUpdateChat measures a subscribe (store.UpdateChat: WATCH, GET,
// MULTI/EXEC with the chat and its index entries), which returns only once
// its journal record is fsync'd: "serial" is the latency of one reader's
// subscribe, "parallel" the throughput of 32 concurrent writers sharing
// fsyncs (group commit).
func BenchmarkUpdateChat(b *testing.B) {
	ctx := context.Background()
	srv, err := embedded.Start(ctx, embedded.Options{DataDir: b.TempDir(), SaveEvery: time.Hour, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	rdb, err := store.Open(ctx, srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{Logger: quiet})
	var next atomic.Int64
	subscribe := func(b *testing.B) {
		id := next.Add(1)
		if _, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
			c.Lang, c.Tags = news.Ukrainian, []string{"sud", fmt.Sprint("tag-", id%50)}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			subscribe(b)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(16) // 32 writers on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				subscribe(b)
			}
		})
	})
}
