package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"newsbot/internal/news"
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
		panic(fmt.Sprintf("extract: a %d-byte input took longer than %v", n, hangLimit))
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

func FuzzExtract(f *testing.F) {
	addSeeds(f, "*.html")
	f.Add([]byte(`<script type="application/ld+json">{"@type":"NewsArticle","headline":"x","datePublished":"2026-01-01"}</script>`))
	f.Add([]byte(`<h1 class="title">x</h1><span class="dt2">31 лютого 2025, 99:99</span><p class="tags"><a href="/tags/%zz/">a</a></p>`))
	f.Fuzz(func(t *testing.T, page []byte) {
		defer watchdog(len(page))()
		x, err := Page(page, "https://www.pravda.com.ua/news/2026/03/05/8030001/", "", Options{Ref: time.Date(2026, 3, 5, 0, 0, 0, 0, kyiv), Budget: 200})
		if err != nil {
			return
		}
		a := x.Article
		if a.ID != 8030001 || a.Edition != news.Ukrainian {
			t.Fatalf("identity from the URL lost: %d %s", a.ID, a.Edition)
		}
		if utf8.RuneCountInString(a.Summary) > 200 {
			t.Fatalf("summary over budget: %q", a.Summary)
		}
		for _, tag := range a.Tags {
			if tag.Slug == "" || tag.Name == "" || strings.Contains(tag.Slug, "/") {
				t.Fatalf("bad tag %+v", tag)
			}
		}
		if a.TagsMissing != (len(a.Tags) == 0) {
			t.Fatalf("TagsMissing %v with %d tags", a.TagsMissing, len(a.Tags))
		}
	})
}
