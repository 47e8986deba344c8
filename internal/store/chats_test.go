package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

func TestUpdateChatCreatesAndNormalizes(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		if _, err := st.Chat(ctx, 42); !errors.Is(err, news.ErrNotFound) {
			t.Fatalf("Chat of an unknown chat: err = %v, want ErrNotFound", err)
		}
		var sawCreated []bool
		got, err := st.UpdateChat(ctx, 42, func(c *news.Chat, created bool) error {
			sawCreated = append(sawCreated, created)
			c.Lang = news.Russian
			c.Tags = []string{"Sud", "vovk-", " sud ", "67850e07ed31c"}
			c.Keywords = []string{"Зеленський", "f-16", "ЗЕЛЕНСЬКИЙ", "м’ясо"}
			c.Breaking = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := news.Chat{
			ID: 42, Lang: news.Russian, Breaking: true,
			Tags:     []string{"67850e07ed31c", "sud", "vovk-"},
			Keywords: []string{"f-16", "зеленський", "м'ясо"},
			Created:  epoch,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UpdateChat result (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]bool{true}, sawCreated); diff != "" {
			t.Errorf("created flags (-want +got):\n%s", diff)
		}
		stored, err := st.Chat(ctx, 42)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stored); diff != "" {
			t.Errorf("Chat after UpdateChat (-want +got):\n%s", diff)
		}
		// A second update sees created=false and the stored settings.
		_, err = st.UpdateChat(ctx, 42, func(c *news.Chat, created bool) error {
			if created {
				t.Error("second UpdateChat: created = true")
			}
			if diff := cmp.Diff(want, *c); diff != "" {
				t.Errorf("second UpdateChat input (-want +got):\n%s", diff)
			}
			c.Strikes = 2
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkIndexes(t, st, rdb)
	})
}

func TestUpdateChatAbortsOnError(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		errStop := errors.New("reader said no")
		_, err := st.UpdateChat(ctx, 7, func(c *news.Chat, _ bool) error {
			c.Lang = news.English
			c.Tags = []string{"war"}
			return errStop
		})
		if !errors.Is(err, errStop) {
			t.Fatalf("err = %v, want the callback's error", err)
		}
		if n := keyCount(t, rdb); n != 0 {
			t.Errorf("an aborted UpdateChat left %d keys", n)
		}
	})
}

// TestIndexesFollowChanges walks chats through every kind of change and
// checks after each step that the indexes match the stored chats, and what
// the fan-out readers return.
func TestIndexesFollowChanges(t *testing.T) {
	type subs struct {
		Tag      map[string][]int64 // "ed/slug" → chats
		Breaking map[news.Lang][]int64
		Keywords map[news.Lang]map[string][]int64
	}
	type step struct {
		name string
		do   func(ctx context.Context, st *store.Store) error
		want subs
	}
	update := func(id int64, fn func(c *news.Chat)) func(context.Context, *store.Store) error {
		return func(ctx context.Context, st *store.Store) error {
			_, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error { fn(c); return nil })
			return err
		}
	}
	steps := []step{
		{
			name: "subscribe two chats",
			do: func(ctx context.Context, st *store.Store) error {
				if err := update(1, func(c *news.Chat) {
					c.Lang, c.Tags, c.Keywords, c.Breaking = news.Ukrainian, []string{"sud", "viyna"}, []string{"нато"}, true
				})(ctx, st); err != nil {
					return err
				}
				return update(-100, func(c *news.Chat) {
					c.Lang, c.Tags, c.Keywords, c.Group = news.Ukrainian, []string{"sud"}, []string{"нато", "сбу"}, true
				})(ctx, st)
			},
			want: subs{
				Tag:      map[string][]int64{"uk/sud": {-100, 1}, "uk/viyna": {1}, "ru/sud": nil},
				Breaking: map[news.Lang][]int64{news.Ukrainian: {1}},
				Keywords: map[news.Lang]map[string][]int64{news.Ukrainian: {"нато": {-100, 1}, "сбу": {-100}}},
			},
		},
		{
			name: "chat 1 switches to Russian",
			do:   update(1, func(c *news.Chat) { c.Lang = news.Russian }),
			want: subs{
				Tag:      map[string][]int64{"uk/sud": {-100}, "uk/viyna": nil, "ru/sud": {1}, "ru/viyna": {1}},
				Breaking: map[news.Lang][]int64{news.Ukrainian: nil, news.Russian: {1}},
				Keywords: map[news.Lang]map[string][]int64{
					news.Ukrainian: {"нато": {-100}, "сбу": {-100}},
					news.Russian:   {"нато": {1}},
				},
			},
		},
		{
			name: "chat 1 unsubscribes from sud, the keyword and breaking",
			do: update(1, func(c *news.Chat) {
				c.Tags, c.Keywords, c.Breaking = []string{"viyna"}, nil, false
			}),
			want: subs{
				Tag:      map[string][]int64{"ru/sud": nil, "ru/viyna": {1}},
				Breaking: map[news.Lang][]int64{news.Russian: nil},
				Keywords: map[news.Lang]map[string][]int64{news.Russian: {}},
			},
		},
		{
			name: "the group blocks the bot",
			do:   update(-100, func(c *news.Chat) { c.Inactive, c.Strikes = true, 3 }),
			want: subs{
				Tag:      map[string][]int64{"uk/sud": nil},
				Keywords: map[news.Lang]map[string][]int64{news.Ukrainian: {}},
			},
		},
		{
			name: "the group comes back with its subscriptions",
			do:   update(-100, func(c *news.Chat) { c.Inactive, c.Strikes = false, 0 }),
			want: subs{
				Tag:      map[string][]int64{"uk/sud": {-100}},
				Keywords: map[news.Lang]map[string][]int64{news.Ukrainian: {"нато": {-100}, "сбу": {-100}}},
			},
		},
		{
			name: "the group becomes a supergroup",
			do: func(ctx context.Context, st *store.Store) error {
				return st.MigrateChat(ctx, -100, -1001)
			},
			want: subs{
				Tag:      map[string][]int64{"uk/sud": {-1001}},
				Keywords: map[news.Lang]map[string][]int64{news.Ukrainian: {"нато": {-1001}, "сбу": {-1001}}},
			},
		},
		{
			name: "chat 1 is deleted",
			do:   func(ctx context.Context, st *store.Store) error { return st.DeleteChat(ctx, 1) },
			want: subs{
				Tag:      map[string][]int64{"ru/viyna": nil},
				Breaking: map[news.Lang][]int64{news.Russian: nil},
			},
		},
	}
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		for _, s := range steps {
			if err := s.do(ctx, st); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			checkIndexes(t, st, rdb)
			for key, want := range s.want.Tag {
				ed, slug, _ := strings.Cut(key, "/")
				got, err := st.Subscribers(ctx, news.Lang(ed), slug)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: Subscribers(%s) (-want +got):\n%s", s.name, key, diff)
				}
			}
			for ed, want := range s.want.Breaking {
				got, err := st.BreakingSubscribers(ctx, ed)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: BreakingSubscribers(%s) (-want +got):\n%s", s.name, ed, diff)
				}
			}
			for ed, want := range s.want.Keywords {
				got, err := st.KeywordSubscribers(ctx, ed)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: KeywordSubscribers(%s) (-want +got):\n%s", s.name, ed, diff)
				}
			}
		}
		ids, err := st.ChatIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{-1001}, ids); diff != "" {
			t.Errorf("ChatIDs at the end (-want +got):\n%s", diff)
		}
		if _, err := st.Chat(ctx, -100); !errors.Is(err, news.ErrNotFound) {
			t.Errorf("the migrated group's old ID: err = %v, want ErrNotFound", err)
		}
		if err := st.DeleteChat(ctx, 1); err != nil {
			t.Errorf("deleting an unknown chat: %v", err)
		}
	})
}

func TestMigrateChatMerges(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		setChat(t, st, news.Chat{ID: -5, Lang: news.English, Tags: []string{"war"}, Keywords: []string{"nato"}, Group: true, Strikes: 1})
		setChat(t, st, news.Chat{ID: -1005, Lang: news.Ukrainian, LangChosen: true, Tags: []string{"sud"}, Breaking: true, Group: true})
		if err := st.MigrateChat(ctx, -5, -1005); err != nil {
			t.Fatal(err)
		}
		got, err := st.Chat(ctx, -1005)
		if err != nil {
			t.Fatal(err)
		}
		want := news.Chat{
			ID: -1005, Lang: news.Ukrainian, LangChosen: true, Breaking: true, Group: true,
			Tags: []string{"sud", "war"}, Keywords: []string{"nato"}, Created: epoch,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("merged chat (-want +got):\n%s", diff)
		}
		checkIndexes(t, st, rdb)
		if err := st.MigrateChat(ctx, -5, -1005); !errors.Is(err, news.ErrNotFound) {
			t.Errorf("migrating again: err = %v, want ErrNotFound", err)
		}
		if err := st.MigrateChat(ctx, -1005, -1005); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("migrating to itself: err = %v, want ErrInvalid", err)
		}
	})
}

func TestCountChats(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		setChat(t, st, news.Chat{ID: 1, Lang: news.Ukrainian})
		setChat(t, st, news.Chat{ID: 2, Lang: news.Ukrainian})
		setChat(t, st, news.Chat{ID: 3, Lang: news.English})
		setChat(t, st, news.Chat{ID: 4, Lang: news.Russian, Inactive: true})
		active, inactive, perLang, err := st.CountChats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type counts struct {
			Active, Inactive int64
			PerLang          map[news.Lang]int64
		}
		want := counts{3, 1, map[news.Lang]int64{news.Ukrainian: 2, news.English: 1, news.Russian: 0}}
		if diff := cmp.Diff(want, counts{active, inactive, perLang}); diff != "" {
			t.Errorf("CountChats (-want +got):\n%s", diff)
		}
		ids, err := st.ChatIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{1, 2, 3, 4}, ids); diff != "" {
			t.Errorf("ChatIDs (-want +got):\n%s", diff)
		}
	})
}

// TestUpdateChatConcurrent has many clients add tags to one chat at once
// (and flip its language): the optimistic transaction must lose none and
// leave the indexes consistent.
func TestUpdateChatConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		const workers, perWorker = 16, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					tag := fmt.Sprintf("tag-%02d-%d", w, i)
					_, err := st.UpdateChat(ctx, 99, func(c *news.Chat, _ bool) error {
						c.Tags = append(c.Tags, tag)
						if w%2 == 0 {
							c.Lang = news.English
						} else {
							c.Lang = news.Ukrainian
						}
						return nil
					})
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		c, err := st.Chat(ctx, 99)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for w := range workers {
			for i := range perWorker {
				want = append(want, fmt.Sprintf("tag-%02d-%d", w, i))
			}
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, c.Tags); diff != "" {
			t.Errorf("tags after concurrent updates (-want +got):\n%s", diff)
		}
		checkIndexes(t, st, rdb)
	})
}

func TestCorruptChatRecord(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		setChat(t, st, news.Chat{ID: 5, Lang: news.English, Breaking: true})
		if err := rdb.Set(ctx, st.Prefix()+"chat:{c5}:5", "{not json", 0).Err(); err != nil {
			t.Fatal(err)
		}
		_, err := st.Chat(ctx, 5)
		if err == nil || errors.Is(err, news.ErrNotFound) {
			t.Fatalf("Chat of a corrupt record: err = %v, want a decode error", err)
		}
		// The reader is not locked out: an update starts again.
		got, err := st.UpdateChat(ctx, 5, func(c *news.Chat, created bool) error {
			if !created {
				t.Error("created = false for an unreadable record")
			}
			c.Lang = news.Ukrainian
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Lang != news.Ukrainian || got.Breaking {
			t.Errorf("recovered chat = %+v", got)
		}
		checkIndexes(t, st, rdb)
		if err := rdb.Set(ctx, st.Prefix()+"chat:{c5}:5", "garbage", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteChat(ctx, 5); err != nil {
			t.Fatal(err)
		}
		if n := keyCount(t, rdb); n != 0 {
			keys := allKeys(t, rdb, "*")
			t.Errorf("after deleting a corrupt chat, keys left: %v", keys)
		}
	})
}

func TestHostileChatInput(t *testing.T) {
	long := strings.Repeat("a", 1000)
	tests := []struct {
		name string
		edit func(c *news.Chat)
	}{
		{"tag with a space", func(c *news.Chat) { c.Tags = []string{"two words"} }},
		{"tag with a colon", func(c *news.Chat) { c.Tags = []string{"sub:uk:tag"} }},
		{"tag with a glob", func(c *news.Chat) { c.Tags = []string{"sud*"} }},
		{"tag with a NUL", func(c *news.Chat) { c.Tags = []string{"sud\x00"} }},
		{"tag with a newline", func(c *news.Chat) { c.Tags = []string{"a\nb"} }},
		{"tag with braces", func(c *news.Chat) { c.Tags = []string{"{sud}"} }},
		{"huge tag", func(c *news.Chat) { c.Tags = []string{long} }},
		{"empty tag", func(c *news.Chat) { c.Tags = []string{"  "} }},
		{"invalid UTF-8 tag", func(c *news.Chat) { c.Tags = []string{"su\xffd"} }},
		{"keyword with a colon", func(c *news.Chat) { c.Keywords = []string{"north:korea"} }},
		{"keyword with a colon", func(c *news.Chat) { c.Keywords = []string{"a:b"} }},
		{"keyword with a control char", func(c *news.Chat) { c.Keywords = []string{"na\x07to"} }},
		{"one-letter keyword", func(c *news.Chat) { c.Keywords = []string{"я"} }},
		{"huge keyword", func(c *news.Chat) { c.Keywords = []string{long} }},
		{"keyword of punctuation", func(c *news.Chat) { c.Keywords = []string{"--"} }},
		{"no language", func(c *news.Chat) { c.Lang = "" }},
		{"unknown language", func(c *news.Chat) { c.Lang = "de" }},
		{"upper-case language", func(c *news.Chat) { c.Lang = "UK" }},
		{"too many tags", func(c *news.Chat) {
			for i := range 501 {
				c.Tags = append(c.Tags, fmt.Sprint("t", i))
			}
		}},
	}
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		for _, tt := range tests {
			_, err := st.UpdateChat(ctx, 11, func(c *news.Chat, _ bool) error {
				c.Lang = news.Ukrainian
				tt.edit(c)
				return nil
			})
			if !errors.Is(err, news.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
			}
		}
		if _, err := st.UpdateChat(ctx, 0, func(c *news.Chat, _ bool) error { c.Lang = news.English; return nil }); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("chat ID 0: err = %v, want ErrInvalid", err)
		}
		if _, err := st.UpdateChat(ctx, 3, nil); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("nil callback: err = %v, want ErrInvalid", err)
		}
		for _, slug := range []string{"a b", "a:b", "", long, "x\ry"} {
			if _, err := st.Subscribers(ctx, news.Ukrainian, slug); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("Subscribers(%q): err = %v, want ErrInvalid", slug, err)
			}
		}
		for _, ed := range []news.Lang{"", "xx", "uk:tag", "UK"} {
			if _, err := st.Subscribers(ctx, ed, "sud"); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("Subscribers in edition %q: err = %v, want ErrInvalid", ed, err)
			}
			if _, err := st.BreakingSubscribers(ctx, ed); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("BreakingSubscribers(%q): err = %v, want ErrInvalid", ed, err)
			}
			if _, err := st.KeywordSubscribers(ctx, ed); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("KeywordSubscribers(%q): err = %v, want ErrInvalid", ed, err)
			}
		}
		if n := keyCount(t, rdb); n != 0 {
			t.Errorf("rejected input left %d keys: %v", n, allKeys(t, rdb, "*"))
		}
	})
}
