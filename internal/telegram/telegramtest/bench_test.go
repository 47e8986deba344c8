package telegramtest_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

// BenchmarkSendMessage measures the fake's throughput for sendMessage
// through the production client, with 8 concurrent senders and no limits.
func BenchmarkSendMessage(b *testing.B) {
	s := telegramtest.NewServer(telegramtest.Options{})
	defer s.Close()
	c, err := telegram.New(context.Background(), telegram.Config{Token: s.Token(), APIURL: s.URL()})
	if err != nil {
		b.Fatal(err)
	}
	var chat atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			id := chat.Add(1)
			if _, err := c.Send(ctx, telegram.Message{ChatID: id, Text: "<b>Новина</b> " + strconv.FormatInt(id, 10), ParseMode: "HTML"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
