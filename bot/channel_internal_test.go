package bot

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

func TestChannelRef(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"@dailynews", "@dailynews", true},
		{"dailynews", "@dailynews", true},
		{"https://t.me/daily_news", "@daily_news", true},
		{"-1001234", "-1001234", true},
		{"1234", "", false}, // a user, not a channel
		{"@abc", "", false}, // too short for a username
		{"daily news", "", false},
		{"@дайджест", "", false},
	}
	for _, tt := range tests {
		got, ok := channelRef(tt.in)
		if got != tt.want && tt.ok || ok != tt.ok {
			t.Errorf("channelRef(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// A story posted to a channel keeps its link buttons only: the channel's
// readers cannot use the settings buttons.
func TestChannelStoryKeyboard(t *testing.T) {
	r := NewRenderer(i18n.MustLoad())
	a := &news.Article{ID: 5, Edition: news.English, Headline: "H", URL: "https://www.pravda.com.ua/eng/news/2026/11/25/5/",
		Tags:       []news.Tag{{Slug: "russia", Name: "Russia"}},
		Alternates: map[news.Lang]string{news.Ukrainian: "https://www.pravda.com.ua/news/2026/11/25/5/"}}
	private := r.ArticleFor(a, news.English, false, news.Chat{ID: 1, Lang: news.English})
	channel := r.ArticleFor(a, news.English, false, news.Chat{ID: -1001, Lang: news.English, Channel: true, Group: true})
	want := &telegram.InlineKeyboard{Rows: [][]telegram.InlineButton{{private.ReplyMarkup.Rows[0][0]}}}
	if private.ReplyMarkup.Rows[0][0].URL == "" || len(private.ReplyMarkup.Rows) < 2 {
		t.Fatalf("the private keyboard = %+v; want a link row, then buttons", private.ReplyMarkup)
	}
	if diff := cmp.Diff(want, channel.ReplyMarkup); diff != "" {
		t.Errorf("channel keyboard (-want +got):\n%s", diff)
	}
	if got := channelKeyboard(telegram.NewInlineKeyboard([]telegram.InlineButton{telegram.CallbackButton("x", "sm:x")})); got != nil {
		t.Errorf("channelKeyboard of callback buttons only = %+v, want nil", got)
	}
}

// The channel-scoped commands and buttons exist.
func TestChannelScopeNames(t *testing.T) {
	for name := range channelScoped {
		if c := commandsByName[name]; c == nil || !c.changes {
			t.Errorf("channelScoped names /%s, which is not a settings command", name)
		}
	}
	if len(channelButtons) == 0 {
		t.Error("no button acts on a channel")
	}
}
