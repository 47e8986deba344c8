package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/telegram/telegramtest"
)

// TestEndToEndSearchAndInline: /search and inline queries find a stored
// story in each edition, by a word's start, in any case.
func TestEndToEndSearchAndInline(t *testing.T) {
	w := newWorld(t, redistest.Start(t).URL())
	w.site.Publish(article(8070001, news.Ukrainian, "Верховна Рада ухвалила бюджет", news.Tag{Slug: "ekonomika", Name: "Економіка"}))
	w.site.Publish(article(8070002, news.Russian, "Верховная Рада приняла бюджет"))
	w.site.Publish(article(8070003, news.English, "Parliament passes the budget"))
	w.site.Publish(article(8070004, news.English, "Storm hits the coast"))
	start(t, w.env)
	w.waitPolls(t, 1)

	for _, tc := range []struct {
		id      int64
		lang    string
		query   string
		want    string
		notWant string
	}{
		{2001, "uk", "/search БЮДЖЕТ економ", "Верховна Рада ухвалила бюджет", ""},
		{2002, "ru", "/search бюдж рада", "Верховная Рада приняла бюджет", ""},
		{2003, "en", "/search budget", "Parliament passes the budget", "Storm"},
		{2003, "en", "/search uk: верховн", "Верховна Рада ухвалила бюджет", "Parliament"},
	} {
		r := w.reader(tc.id, tc.lang)
		got := r.say(t, tc.query)
		mustContain(t, tc.query+" reply", got.Text, tc.want, "/8070")
		if tc.notWant != "" && strings.Contains(got.Text, tc.notWant) {
			t.Errorf("%s reply = %q; want no %q", tc.query, got.Text, tc.notWant)
		}
	}
	got := w.reader(2003, "en").say(t, "/search nothingmatches")
	mustContain(t, "/search without results", got.Text, "Nothing found", "nothingmatches")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	inline := func(user telegramtest.User, query string) telegramtest.InlineAnswer {
		t.Helper()
		_, qid := w.tg.InlineQuery(user, query, "sender")
		a, err := w.tg.WaitInlineAnswer(ctx, qid)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ru := telegramtest.User{ID: 3001, FirstName: "Oleg", LanguageCode: "ru"}
	for _, tc := range []struct {
		user  telegramtest.User
		query string
		want  string
	}{
		{ru, "бюджет", "Верховная Рада приняла бюджет"},
		{ru, "uk: рада", "Верховна Рада ухвалила бюджет"},
		{ru, "EN: budget", "Parliament passes the budget"},
	} {
		a := inline(tc.user, tc.query)
		if len(a.Results) != 1 || a.Results[0].Title != tc.want {
			t.Fatalf("inline %q = %+v; want one result %q", tc.query, a.Results, tc.want)
		}
		mustContain(t, "inline message", a.Results[0].Text, "<b>"+tc.want+"</b>", "the lead", w.site.URL())
		if a.CacheTime <= 0 {
			t.Errorf("inline %q: cache_time %d, want a short cache", tc.query, a.CacheTime)
		}
	}
	// The stored language wins over Telegram's; an empty query offers the
	// latest stories.
	w.reader(2003, "uk").say(t, "/language en")
	a := inline(telegramtest.User{ID: 2003, LanguageCode: "uk"}, "")
	if len(a.Results) != 2 || a.Results[0].Title != "Storm hits the coast" {
		t.Errorf("empty inline query = %+v; want the 2 English stories, newest first", a.Results)
	}
	if a := inline(ru, "nothingmatches"); len(a.Results) != 0 {
		t.Errorf("inline without matches = %+v", a.Results)
	}
}
