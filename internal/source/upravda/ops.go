package upravda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"newsbot/internal/news"
)

// Inspect reads one article and writes it to w as indented JSON: the
// operator's view of what the extractor sees (`newsbot inspect`).
//
// urlOrFile is an http(s) URL, fetched through s (it must be an article URL
// on the Source's host), or a path to a saved page, read from disk (at most
// Config.MaxBodyBytes, charset taken from the page). For a file, edition
// (may be "") overrides the edition the page's canonical URL or language
// gives. s may be nil for files: defaults then apply.
func Inspect(ctx context.Context, s *Source, urlOrFile string, edition news.Lang, w io.Writer) error {
	var a *news.Article
	if strings.HasPrefix(urlOrFile, "http://") || strings.HasPrefix(urlOrFile, "https://") {
		if s == nil {
			return fmt.Errorf("upravda: inspecting a URL needs a Source: %w", news.ErrInvalid)
		}
		id, ed, _, ok := parseURLFor(s, urlOrFile)
		if !ok {
			return fmt.Errorf("upravda: %q is not an article URL of %s: %w", urlOrFile, s.host, news.ErrInvalid)
		}
		if edition != "" && edition != ed {
			return fmt.Errorf("upravda: %s belongs to edition %s, not %s: %w", urlOrFile, ed, edition, news.ErrInvalid)
		}
		var err error
		a, err = s.Fetch(ctx, news.ListItem{ID: id, Edition: ed, URL: urlOrFile})
		if err != nil {
			return err
		}
	} else {
		maxBody := int64(DefaultMaxBodyBytes)
		budget := 0
		var ref time.Time
		if s != nil {
			maxBody, budget, ref = s.maxBody, s.budget, s.now()
		} else {
			ref = time.Now()
		}
		page, err := readFileCapped(urlOrFile, maxBody)
		if err != nil {
			return err
		}
		page, err = decodeHTML(page, "")
		if err != nil {
			return fmt.Errorf("upravda: unable to decode %s: %w", urlOrFile, err)
		}
		x, err := extract(page, "", edition, ref, budget)
		if err != nil {
			return err
		}
		a = x.Article
		if a.Headline == "" {
			return fmt.Errorf("upravda: unable to read %s: %w", urlOrFile, ErrNoHeadline)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		return fmt.Errorf("upravda: unable to write the article: %w", err)
	}
	return nil
}

func parseURLFor(s *Source, u string) (int64, news.Lang, string, bool) {
	ref, ok := s.articleRef(u)
	return ref.ID, ref.Edition, ref.Family, ok
}

func readFileCapped(path string, maxBody int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("upravda: unable to open the page: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("upravda: unable to read %s: %w", path, err)
	}
	if int64(len(b)) > maxBody {
		return nil, fmt.Errorf("upravda: %s is larger than %d bytes: %w", path, maxBody, ErrTooLarge)
	}
	return b, nil
}

// ScrapeOnce discovers the latest items of each edition (all three when
// editions is empty) and writes them to w: a table, or JSON
// ({"uk": [...], "ru": [...]}) when asJSON (`newsbot scrape --once`). An
// edition that fails is reported in the returned error; the others are
// still written.
func ScrapeOnce(ctx context.Context, s *Source, editions []news.Lang, asJSON bool, w io.Writer) error {
	if s == nil {
		return fmt.Errorf("upravda: scraping needs a Source: %w", news.ErrInvalid)
	}
	if len(editions) == 0 {
		editions = news.Langs
	}
	results := make(map[news.Lang][]news.ListItem, len(editions))
	var errs []error
	for _, ed := range editions {
		items, err := s.Discover(ctx, ed)
		if err != nil {
			errs = append(errs, fmt.Errorf("edition %s: %w", ed, err))
			continue
		}
		results[ed] = items
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(results); err != nil {
			errs = append(errs, fmt.Errorf("upravda: unable to write the items: %w", err))
		}
		return errors.Join(errs...)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITION\tID\tPUBLISHED (KYIV)\t!\tTITLE\tURL")
	for _, ed := range editions {
		for _, it := range results[ed] {
			published := "-"
			if !it.Published.IsZero() {
				published = it.Published.In(kyiv).Format("2006-01-02 15:04")
			}
			mark := ""
			if it.Important {
				mark = "!"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", it.Edition, it.ID, published, mark, clip(it.Title, 80), it.URL)
		}
	}
	if err := tw.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("upravda: unable to write the table: %w", err))
	}
	return errors.Join(errs...)
}

// clip shortens s to at most n runes, at a word boundary when one is near,
// with "…" (table display only).
func clip(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\t", " "))
	if len(r) <= n {
		return string(r)
	}
	cut := n - 1
	for i := cut; i > n/2; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}
