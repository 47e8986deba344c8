package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
)

func TestRenderStats(t *testing.T) {
	s := Stats{
		Active: 3, Inactive: 1,
		PerLang: map[news.Lang]int64{news.Ukrainian: 2, news.English: 1},
		Editions: []EditionStats{
			{Edition: news.English, LastPoll: "2026-12-01T12:00:00Z", TopTags: []news.TagCount{{Tag: news.Tag{Name: "Russia"}, Count: 4}, {Tag: news.Tag{Name: "R&D"}, Count: 1}}},
			{Edition: news.Ukrainian},
		},
		Queue: QueueStats{Breaking: 1, Normal: 2, Pending: 5, InFlight: 1, Messages: 10, Delivered: 12,
			Floods: 1, Retried: 2, DeadLetters: 0, Paused: 2400 * time.Millisecond},
	}
	want := "<b>Readers</b>: 3 active, 1 inactive\n" +
		"  uk: 2\n  ru: 0\n  en: 1\n" +
		"\n<b>en</b>: last poll 2026-12-01T12:00:00Z\n  top tags: Russia (4), R&amp;D (1)\n" +
		"\n<b>uk</b>: last poll never\n  top tags: \n" +
		"\n<b>Delivery</b>\nwaiting: 1 breaking, 2 normal chats (5 messages), 1 in flight\n" +
		"sent: 10 messages, 12 articles; 429s: 1; retried: 2; dead letters: 0\n" +
		"paused after a 429 for 2s"
	if diff := cmp.Diff(want, renderStats(s)); diff != "" {
		t.Errorf("renderStats (-want +got):\n%s", diff)
	}
}

// fakeNotifier records notices, rendered in each admin's language (all
// English here).
type fakeNotifier struct {
	chats [][]int64
	texts []string
	err   error
}

func (f *fakeNotifier) Notify(_ context.Context, ids []int64, render func(news.Lang) string) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	f.chats = append(f.chats, ids)
	f.texts = append(f.texts, render(news.English))
	return len(ids), nil
}

// fakeOnce is a SetOnce without expiry.
type fakeOnce map[string]bool

func (f fakeOnce) SetOnce(_ context.Context, key string, _ time.Duration) (bool, error) {
	if f[key] {
		return false, nil
	}
	f[key] = true
	return true, nil
}

// Drift alerts reach the admins once per edition (however many layers
// fail); data-loss alerts every time; nobody hears anything without admins.
func TestAlertsGoToAdminsThroughTheNotifier(t *testing.T) {
	n := &fakeNotifier{}
	a := NewAlerts(n, fakeOnce{}, i18n.MustLoad(), []int64{9001, 9002}, nil)
	ctx := context.Background()
	a.Drift(ctx, news.English, "feed:news", 3, errors.New("parse <rss>"))
	a.Drift(ctx, news.English, "list", 3, errors.New("empty"))
	a.Drift(ctx, news.Ukrainian, "feed:news", 4, nil)
	a.DataLoss(ctx, "the store was emptied")
	if len(n.texts) != 3 {
		t.Fatalf("got %d alerts %q, want 2 drift alerts and 1 data-loss alert", len(n.texts), n.texts)
	}
	if diff := cmp.Diff([]int64{9001, 9002}, n.chats[0]); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	mustContain := func(text string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("alert %q lacks %q", text, w)
			}
		}
	}
	mustContain(n.texts[0], "Source problem", "en", "feed:news", "3", "parse &lt;rss&gt;")
	mustContain(n.texts[1], "uk", "4")
	mustContain(n.texts[2], "the store was emptied")

	none := &fakeNotifier{}
	NewAlerts(none, fakeOnce{}, i18n.MustLoad(), nil, nil).DataLoss(ctx, "emptied")
	if len(none.texts) != 0 {
		t.Errorf("alerts without admins: %q", none.texts)
	}
}
