package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

func TestMuteIndexesFollowChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		set := func(id int64, mutes, tags []string, unmuted bool) {
			t.Helper()
			if _, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
				c.Lang, c.Breaking = news.Ukrainian, true
				c.Mutes, c.MutedTags, c.BreakingUnmuted = mutes, tags, unmuted
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		set(1, []string{"Росі", "  футбол  ліга"}, []string{"Sport"}, false)
		set(17, []string{"росі"}, nil, true)
		var asked []string
		got, err := st.MutedBy(ctx, news.Ukrainian, func(m string) bool {
			asked = append(asked, m)
			return m == "футбол ліга"
		})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(got, []int64{1}) {
			t.Errorf("MutedBy(футбол ліга) = %v, want [1]", got)
		}
		slices.Sort(asked)
		if want := []string{"росі", "футбол ліга"}; !cmp.Equal(asked, want) {
			t.Errorf("MutedBy asked about %q, want each mute once: %q", asked, want)
		}
		got, _ = st.MutedBy(ctx, news.Ukrainian, func(m string) bool { return m == "росі" })
		if !cmp.Equal(got, []int64{1, 17}) {
			t.Errorf("MutedBy(росі) = %v, want [1 17]", got)
		}
		tagged, err := st.MutedTagSubscribers(ctx, news.Ukrainian, "sport")
		if err != nil || !cmp.Equal(tagged, []int64{1}) {
			t.Errorf("MutedTagSubscribers = %v, %v; want [1]", tagged, err)
		}
		unmuted, err := st.BreakingUnmutedSubscribers(ctx, news.Ukrainian)
		if err != nil || !cmp.Equal(unmuted, []int64{17}) {
			t.Errorf("BreakingUnmutedSubscribers = %v, %v; want [17]", unmuted, err)
		}
		set(1, nil, nil, false)
		if err := st.DeleteChat(ctx, 17); err != nil {
			t.Fatal(err)
		}
		got, _ = st.MutedBy(ctx, news.Ukrainian, func(string) bool { return true })
		tagged, _ = st.MutedTagSubscribers(ctx, news.Ukrainian, "sport")
		unmuted, _ = st.BreakingUnmutedSubscribers(ctx, news.Ukrainian)
		if len(got)+len(tagged)+len(unmuted) != 0 {
			t.Errorf("after removal: mutes %v, tags %v, unmuted %v; want none", got, tagged, unmuted)
		}
	})
}

func TestMuteLimits(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		many := make([]string, news.MaxMutes+1)
		for i := range many {
			many[i] = "word" + strconv.Itoa(i)
		}
		for name, mutes := range map[string][]string{
			"too many":   many,
			"too long":   {strings.Repeat("я", news.MaxMuteRunes+1)},
			"markup":     {"<b>x</b>"},
			"one letter": {"x"},
		} {
			_, err := st.UpdateChat(ctx, 5, func(c *news.Chat, _ bool) error {
				c.Lang, c.Mutes = news.English, mutes
				return nil
			})
			if !errors.Is(err, news.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
		if _, err := st.UpdateChat(ctx, 5, func(c *news.Chat, _ bool) error {
			c.Lang, c.Mutes = news.English, many[:news.MaxMutes]
			c.Mutes[0] = strings.Repeat("я", news.MaxMuteRunes)
			return nil
		}); err != nil {
			t.Errorf("%d mutes, one of %d characters: %v", news.MaxMutes, news.MaxMuteRunes, err)
		}
	})
}
