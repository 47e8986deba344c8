package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// benchPages are the pages the extraction benchmark reads: the project's
// own testdata (current markup, and the older one, which has no JSON-LD:
// visible date, byline and photo from the markup), and the real captures
// when they are present.
func benchPages(b *testing.B) map[string][]byte {
	pages := map[string][]byte{
		"testdata_news": readTestdata(b, "article_news_current.html"),
		"testdata_pub":  readTestdata(b, "article_pub_current.html"),
		"testdata_old":  readTestdata(b, "article_old.html"),
	}
	if raw, err := os.ReadFile(filepath.Join(samplesDir, "up_rus_articles_2026-01-08_8015225.html")); err == nil {
		pages["capture_2026"] = raw
	}
	if raw, err := os.ReadFile(filepath.Join(samplesDir, "epravda_news_2025-10-24_813313.html")); err == nil {
		pages["capture_news"] = raw
	}
	return pages
}

// BenchmarkExtract compares extracting an article with html.Parse alone on
// the same bytes (the goal: extraction costs at most 2x parsing).
func BenchmarkExtract(b *testing.B) {
	for name, page := range benchPages(b) {
		b.Run(name+"/html.Parse", func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := html.Parse(bytes.NewReader(page)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/Extract", func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Page(page, "https://www.pravda.com.ua/rus/articles/2026/01/08/8015225/", "", Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExtractVsParse alternates html.Parse and Extract on the same
// page inside each iteration and reports the ratio of their times
// ("x_parse"), which is steadier than two separate benchmarks on a busy
// machine. The goal is x_parse <= 2.
func BenchmarkExtractVsParse(b *testing.B) {
	for name, page := range benchPages(b) {
		b.Run(name, func(b *testing.B) {
			var parse, ext time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := html.Parse(bytes.NewReader(page)); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := Page(page, "https://www.pravda.com.ua/rus/articles/2026/01/08/8015225/", "", Options{}); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				parse += t1.Sub(t0)
				ext += t2.Sub(t1)
			}
			b.ReportMetric(float64(ext)/float64(parse), "x_parse")
			b.ReportMetric(float64(parse.Microseconds())/float64(b.N), "parse_us/op")
			b.ReportMetric(float64(ext.Microseconds())/float64(b.N), "extract_us/op")
		})
	}
}
