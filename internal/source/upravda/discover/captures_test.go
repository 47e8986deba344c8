package discover

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/source/fetch"
	"newsbot/internal/source/upravda/markup"
)

// samplesDir holds real captures of the site, third-party content that is
// read from there and never copied into this repository. Tests that need it
// skip when it is absent.
const samplesDir = "/work/shared/upravda-samples"

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

func TestCaptureFeed2020(t *testing.T) {
	raw := readSample(t, "up_rus_rss_all_2020-09-29.xml")
	res, err := parseFeed(raw, "text/xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 20 {
		t.Errorf("entries = %d, want 20", len(res.Entries))
	}
	d := New(Config{})
	items := d.feedItems(res.Entries, news.Russian)
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.ID)
		if it.Published.Format("-07:00") != "+03:00" || it.Title == "" || it.Description == "" {
			t.Errorf("item %d: published %v, title %q, description %q", it.ID, it.Published, it.Title, it.Description)
		}
		if strings.ContainsRune(it.Title, '\uFFFD') {
			t.Errorf("item %d: title not decoded from windows-1251: %q", it.ID, it.Title)
		}
	}
	want := []int64{7268111, 7268106, 7268108, 7268103, 7268100, 7268099, 7268094, 7268093}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("IDs (www.pravda.com.ua, /rus/ only) mismatch (-want +got):\n%s", diff)
	}
	if other := d.feedItems(res.Entries, news.Ukrainian); len(other) != 0 {
		t.Errorf("uk edition got %d items from a /rus/ feed", len(other))
	}
}

func TestCaptureList2016(t *testing.T) {
	raw := readSample(t, "up_uk_home_2016-01-14_vcr.html")
	page, err := fetch.DecodeHTML(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := parseList(page, "https://www.pravda.com.ua/")
	if err != nil {
		t.Fatal(err)
	}
	if res.Markup != markup.Y2016 {
		t.Errorf("Markup = %q, want %q", res.Markup, markup.Y2016)
	}
	d := New(Config{})
	items := listItems(res.Entries, d.keepFor(news.Ukrainian))
	m := newMerger()
	m.add(items, false)
	sorted := m.sorted()
	if len(sorted) != 56 {
		t.Errorf("distinct items = %d, want 56", len(sorted))
	}
	byID := make(map[int64]news.ListItem)
	for _, it := range sorted {
		byID[it.ID] = it
		if strings.Contains(it.URL, "epravda") || strings.Contains(it.URL, "eurointegration") || strings.Contains(it.URL, "kiev.pravda") {
			t.Errorf("off-site item kept: %s", it.URL)
		}
	}
	if !byID[7095324].Important || byID[7095341].Important {
		t.Errorf("importance: 7095324 = %v (want true), 7095341 = %v (want false)", byID[7095324].Important, byID[7095341].Important)
	}
	if got := byID[7095341].Published.Format(time.RFC3339); got != "2016-01-14T11:17:00+02:00" {
		t.Errorf("7095341 published %s", got)
	}
	if title := byID[7095318].Title; strings.Contains(title, "фото") {
		t.Errorf("the <em> label stayed in the title: %q", title)
	}
	if !slices.IsSortedFunc(sorted, func(a, b news.ListItem) int { return int(b.ID - a.ID) }) {
		t.Error("items not newest first")
	}
}
