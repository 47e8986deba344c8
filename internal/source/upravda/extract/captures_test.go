package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/source/fetch"
)

// samplesDir holds real captures of the site, third-party content that is
// read from there and never copied into this repository. Tests that need it
// skip when it is absent.
const samplesDir = "/work/shared/upravda-samples"

// The expectations below hold facts (IDs, times, counts) in clear and
// every piece of the captures' text as a digest (see digest), so that no
// part of the third-party pages is copied into the repository. On a
// mismatch the test prints the extracted text.

// digest is the first 16 hex digits of the SHA-256 of s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func digests(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, digest(s))
	}
	return out
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if os.IsNotExist(err) {
		t.Skipf("real captures not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// captureFacts is what a capture must yield.
type captureFacts struct {
	ID          int64
	Edition     news.Lang
	Published   string   // RFC 3339 with offset
	Headline    string   // digest
	Authors     []string // digests
	Tags        []string // digests of "slug|name"
	TagsMissing bool
	Lead        string // digest
	BodyStart   string // digest of the first 80 runes
}

func factsOf(a *news.Article) (captureFacts, string) {
	f := captureFacts{
		ID:          a.ID,
		Edition:     a.Edition,
		Published:   a.Published.Format(time.RFC3339),
		Headline:    digest(a.Headline),
		Authors:     digests(a.Authors),
		TagsMissing: a.TagsMissing,
		Lead:        digest(a.Lead),
		BodyStart:   digest(firstRunes(a.Body, 80)),
	}
	var tags []string
	for _, t := range a.Tags {
		tags = append(tags, t.Slug+"|"+t.Name)
	}
	f.Tags = digests(tags)
	text := fmt.Sprintf("headline %q\nauthors %q\ntags %q\nlead %q\nbody start %q", a.Headline, a.Authors, tags, a.Lead, firstRunes(a.Body, 80))
	return f, text
}

func TestCaptures(t *testing.T) {
	tests := []struct {
		file, url string
		want      captureFacts
		// slugs are checked in clear where docs/upravda.md names them.
		slugs []string
	}{
		{
			file:  "up_rus_articles_2026-01-08_8015225.html",
			url:   "https://www.pravda.com.ua/rus/articles/2026/01/08/8015225/",
			slugs: []string{"sud", "oask", "vovk-"},
			want: captureFacts{
				ID: 8015225, Edition: news.Russian, Published: "2026-01-08T17:46:00+02:00",
				Headline:  "aae2e89f30713df7",
				Authors:   []string{"90eea536a3c0c32c", "17ff161ef8b65e4a", "bb9349ebf0670a47"},
				Tags:      []string{"f6b2ae8d798628dd", "5cb637674ba5cdc7", "dee2dae73259c6dc"},
				Lead:      "2fdf63e67588c631",
				BodyStart: "0c86ee339b2e052b",
			},
		},
		{
			file: "epravda_news_2025-10-24_813313.html",
			url:  "https://epravda.com.ua/tehnologiji/yak-v-ukrajini-diyatimut-limiti-dlya-gravciv-azartnih-igor-813313/",
			want: captureFacts{
				ID: 813313, Edition: news.Ukrainian, Published: "2025-10-24T15:26:00+03:00", // JSON-LD without offset: Kyiv
				Headline:  "4e4c2af2d2a867ac",
				Authors:   []string{"d8d59f89246d5e5a"}, // from the markup: JSON-LD names only the organisation
				Tags:      []string{"87931a9a00d77491", "6a04df15ad884e86"},
				Lead:      "bbbcadcb60d3e1d3",
				BodyStart: "f54ce0c3e91998fd",
			},
		},
		{
			file: "up_uk_news_2016-01-14_7095324_vcr.html",
			url:  "https://www.pravda.com.ua/news/2016/01/14/7095324/",
			want: captureFacts{
				ID: 7095324, Edition: news.Ukrainian, Published: "2016-01-14T09:29:00+02:00",
				Headline:  "bdeb3bda68e1b9c1",
				Tags:      []string{"393f8e023724f812", "4cb93efb093ce8ae", "902b29fc586fed1a"},
				Lead:      "6c9db660162438a6",
				BodyStart: "68c9d84881247013",
			},
		},
		{
			file: "up_uk_news_2014-09-29_7039242_cap2016-01-14_vcr.html",
			url:  "https://www.pravda.com.ua/news/2014/09/29/7039242/",
			want: captureFacts{
				ID: 7039242, Edition: news.Ukrainian, Published: "2014-09-29T14:55:00+03:00",
				Headline:    "48bf89de7043eff1",
				TagsMissing: true, // this capture has no tag block
				Lead:        "14d8223e12c9d21d",
				BodyStart:   "993cd7120446ee19",
			},
		},
		{
			file: "up_uk_news_2014-09-29_7039242_cap2014-10-04_vcr.html",
			url:  "https://www.pravda.com.ua/news/2014/09/29/7039242/",
			want: captureFacts{
				ID: 7039242, Edition: news.Ukrainian, Published: "2014-09-29T14:55:00+03:00",
				Headline:  "48bf89de7043eff1", // same story as above, 2014 table layout
				Tags:      []string{"c08a85a67d0ad96e", "fd899cbc37e5511d"},
				Lead:      "14d8223e12c9d21d",
				BodyStart: "993cd7120446ee19",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readSample(t, tt.file)
			page, err := fetch.DecodeHTML(raw, "") // the charset comes from the page's meta tag
			if err != nil {
				t.Fatal(err)
			}
			a, err := Article(page, tt.url, "")
			if err != nil {
				t.Fatalf("Article() error = %v", err)
			}
			got, text := factsOf(a)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Article() mismatch (-want +got):\n%s\nextracted:\n%s", diff, text)
			}
			if tt.slugs != nil {
				var slugs []string
				for _, tag := range a.Tags {
					slugs = append(slugs, tag.Slug)
				}
				if diff := cmp.Diff(tt.slugs, slugs); diff != "" {
					t.Errorf("tag slugs mismatch (-want +got):\n%s", diff)
				}
			}
			assertClean(t, a)
			for _, tag := range a.Tags {
				if tag.Name != strings.TrimSpace(tag.Name) || strings.Contains(tag.Name, "  ") {
					t.Errorf("tag name not trimmed: %q", tag.Name)
				}
			}
		})
	}
}

// TestCaptureBodyWithoutByline checks the publication's closing signature
// (bold italics naming the authors) is not part of the body.
func TestCaptureBodyWithoutByline(t *testing.T) {
	raw := readSample(t, "up_rus_articles_2026-01-08_8015225.html")
	a, err := Article(raw, "https://www.pravda.com.ua/rus/articles/2026/01/08/8015225/", "")
	if err != nil {
		t.Fatal(err)
	}
	last := a.Body[strings.LastIndex(a.Body, "\n\n")+2:]
	if strings.Contains(last, a.Authors[0]) {
		t.Errorf("the body ends with the authors' byline: %q", last)
	}
	if a.Photo == nil || a.Photo.Credit == "" || a.Photo.URL == "" {
		t.Errorf("photo with credit expected, got %+v", a.Photo)
	}
	if len(a.Alternates) != 2 || a.Alternates[news.Ukrainian] == "" {
		t.Errorf("alternates = %v, want uk and ru", a.Alternates)
	}
}

// TestCaptureSeedText rebuilds the English page of 2025-04-28, given as
// rendered text, in the pre-2025 markup (in memory only) and checks the
// extractor reads the headline, the authors, the date and a body without
// the "Advertisement:" lines.
func TestCaptureSeedText(t *testing.T) {
	raw := string(readSample(t, "seed-article-eng-2025-04-28.txt"))
	lines := strings.Split(raw, "\n")
	dateLine := regexp.MustCompile(`^(.+?)(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{1,2} \w+ \d{4}, \d{2}:\d{2})$`)
	at := -1
	var m []string
	for i, l := range lines {
		if m = dateLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			at = i
			break
		}
	}
	if at < 1 {
		t.Fatal("no byline and date line in the seed text")
	}
	headline := strings.TrimSpace(lines[at-2])
	var paras []string
	for _, l := range lines[at+3:] {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Support Ukrainska Pravda") {
			break
		}
		if l != "" {
			paras = append(paras, "<p>"+html.EscapeString(l)+"</p>")
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<html><head><meta charset="utf-8"></head><body><article class="post"><h1 class="post_title">%s</h1>`, html.EscapeString(headline))
	fmt.Fprintf(&b, `<div class="post_time"><span class="post_author"><a href="/eng/authors/x/">%s</a></span>%s, %s</div>`, html.EscapeString(m[1]), m[2], m[3])
	fmt.Fprintf(&b, `<div class="post_text">%s</div></article></body></html>`, strings.Join(paras, "\n"))

	a, err := Article([]byte(b.String()), "https://www.pravda.com.ua/eng/news/2025/04/28/7510000/", "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Headline != headline {
		t.Errorf("headline %q, want %q", a.Headline, headline)
	}
	if got := a.Published.Format(time.RFC3339); got != "2025-04-28T20:01:00+03:00" {
		t.Errorf("published %s", got)
	}
	if len(a.Authors) != 2 {
		t.Errorf("authors %q, want two", a.Authors)
	}
	if strings.Contains(a.Body, "Advertisement") || !strings.Contains(a.Body, "• ") && !strings.Contains(a.Body, "Background") {
		t.Errorf("body not clean or incomplete:\n%s", a.Body)
	}
	if strings.HasPrefix(a.Summary, "Source:") || a.Summary == "" {
		t.Errorf("summary %q", a.Summary)
	}
}
