package discover

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/site"
)

// The fuzz targets check that no input makes a parser panic or hang, and
// that what comes out is well-formed. Seeds are the project's testdata.
// Run one with: go test -run '^$' -fuzz FuzzExtract -fuzztime 60s

// hangLimit is how long one call may take before the fuzz worker is
// crashed on purpose, so that the fuzzer records the input as a hang.
const hangLimit = 10 * time.Second

// watchdog crashes the process when the call it guards outlives hangLimit;
// call the returned function when the call is done.
func watchdog(n int) func() bool {
	return time.AfterFunc(hangLimit, func() {
		panic(fmt.Sprintf("discover: a %d-byte input took longer than %v", n, hangLimit))
	}).Stop
}

func addSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseList(f *testing.F) {
	addSeeds(f, "list_*.html")
	f.Add([]byte(`<div class="article_news_list"><div class="article_time">9:5</div><div class="article_title"><a href="//x">t</a></div></div>`))
	keep := func(u string) (site.Ref, bool) {
		return site.ParsePath(site.Resolve("https://www.pravda.com.ua/news/", u))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		defer watchdog(len(page))()
		res, err := parseList(page, "https://www.pravda.com.ua/news/")
		if err != nil {
			return
		}
		for _, it := range listItems(res.Entries, keep) {
			if it.ID <= 0 || it.Title == "" {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}

func FuzzParseFeed(f *testing.F) {
	addSeeds(f, "feed_*.xml")
	f.Add([]byte(`<?xml version="1.0" encoding="koi8-r"?><rss><channel><ttl>-5</ttl><item><link>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="https://www.pravda.com.ua/news/2026/01/01/1/"/></entry>`))
	d := New(Config{})
	f.Fuzz(func(t *testing.T, body []byte) {
		defer watchdog(len(body))()
		res, err := parseFeed(body, "application/rss+xml; charset=windows-1251")
		if err != nil {
			return
		}
		if res.TTL < 0 || res.TTL > maxFeedTTL {
			t.Fatalf("ttl %v out of range", res.TTL)
		}
		for _, it := range d.feedItems(res.Entries, news.Ukrainian) {
			if it.ID <= 0 || it.Edition != news.Ukrainian {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}
