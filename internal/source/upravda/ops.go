package upravda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/source/fetch"
	"newsbot/internal/source/upravda/extract"
)

// Inspect reads one article: what the extractor sees, for the operator
// (`newsbot inspect` prints it).
//
// urlOrFile is an http(s) URL, fetched through s (it must be an article URL
// on the Source's host), or a path to a saved page, read from disk (at most
// Config.MaxBodyBytes, charset taken from the page). For a file, edition
// (may be "") overrides the edition the page's canonical URL or language
// gives. s may be nil for files: defaults then apply.
//
// Inspect fails as Fetch does; for a file also with ErrTooLarge, ErrNoHeadline,
// ErrNoEdition or the error of opening it (errors.Is(err, os.ErrNotExist)
// works). It returns an error wrapping news.ErrInvalid for a URL without a
// Source, of another site, or of another edition than the one asked for.
func Inspect(ctx context.Context, s *Source, urlOrFile string, edition news.Lang) (*news.Article, error) {
	if !strings.HasPrefix(urlOrFile, "http://") && !strings.HasPrefix(urlOrFile, "https://") {
		return inspectFile(s, urlOrFile, edition)
	}
	if s == nil {
		return nil, fmt.Errorf("upravda: inspecting a URL needs a Source: %w", news.ErrInvalid)
	}
	ref, ok := s.articleRef(urlOrFile)
	if !ok {
		return nil, fmt.Errorf("upravda: %q is not an article URL of %s: %w", urlOrFile, s.host, news.ErrInvalid)
	}
	if edition != "" && edition != ref.Edition {
		return nil, fmt.Errorf("upravda: %s belongs to edition %s, not %s: %w", urlOrFile, ref.Edition, edition, news.ErrInvalid)
	}
	return s.Fetch(ctx, news.ListItem{ID: ref.ID, Edition: ref.Edition, URL: urlOrFile})
}

// inspectFile reads a saved page.
func inspectFile(s *Source, path string, edition news.Lang) (*news.Article, error) {
	maxBody := int64(DefaultMaxBodyBytes)
	budget := 0
	var ref time.Time
	if s != nil {
		maxBody, budget, ref = s.fetch.MaxBodyBytes(), s.budget, s.now()
	} else {
		ref = time.Now()
	}
	page, err := readFileCapped(path, maxBody)
	if err != nil {
		return nil, err
	}
	page, err = fetch.DecodeHTML(page, "")
	if err != nil {
		return nil, fmt.Errorf("upravda: unable to decode %s: %w", path, err)
	}
	x, err := extract.Page(page, "", edition, extract.Options{Ref: ref, Budget: budget})
	if err != nil {
		return nil, fmt.Errorf("upravda: %w", err)
	}
	if x.Article.Headline == "" {
		return nil, fmt.Errorf("upravda: unable to read %s: %w", path, ErrNoHeadline)
	}
	return x.Article, nil
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
// editions is empty), for the operator (`newsbot scrape --once` prints
// them). An edition that fails is reported in the returned error and left
// out of the map; the others are still returned.
func ScrapeOnce(ctx context.Context, s *Source, editions []news.Lang) (map[news.Lang][]news.ListItem, error) {
	if s == nil {
		return nil, fmt.Errorf("upravda: scraping needs a Source: %w", news.ErrInvalid)
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
	return results, errors.Join(errs...)
}
