package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"newsbot/internal/config"
	"newsbot/internal/news"
	"newsbot/internal/source/upravda"
	"newsbot/internal/store"
)

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags lets flags and positional arguments come in any order.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{fs.Name() + ": " + err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// runInspect prints the article extracted from a URL or a saved page.
func runInspect(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlags("inspect")
	edition := fs.String("edition", "", "edition of a saved page: uk, ru or en")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"inspect takes one URL or file: newsbot inspect URL|FILE [--edition uk|ru|en]"}
	}
	var ed news.Lang
	if *edition != "" {
		l, ok := news.ParseLang(*edition)
		if !ok {
			return usageError{fmt.Sprintf("inspect: --edition must be uk, ru or en, not %q", *edition)}
		}
		ed = l
	}
	src, err := newSource(cfg, log, nil)
	if err != nil {
		return err
	}
	a, err := upravda.Inspect(ctx, src, pos[0], ed)
	if err != nil {
		return err
	}
	return printArticle(stdout, a)
}

// runScrape prints what each edition lists now.
func runScrape(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlags("scrape")
	once := fs.Bool("once", false, "poll once and exit")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if !*once || len(pos) > 0 {
		return usageError{"scrape needs --once: newsbot scrape --once [--json]"}
	}
	src, err := newSource(cfg, log, nil)
	if err != nil {
		return err
	}
	editions := cfg.Editions
	if len(editions) == 0 {
		editions = news.Langs
	}
	items, err := upravda.ScrapeOnce(ctx, src, editions)
	// An edition that failed is reported after the others are printed.
	return errors.Join(err, printItems(stdout, editions, items, *asJSON))
}

// runExport writes subscriptions and settings as versioned JSON. With the
// embedded store of a running bot it reads that bot's live store.
func runExport(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlags("export")
	timeout := fs.Duration("timeout", defaultStoreTimeout, "how long to wait for the store")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"export takes no arguments: newsbot export [--timeout 10s] > backup.json"}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	st, closeStore, err := openStore(ctx, cfg, log, true)
	if err != nil {
		return withinTimeout(ctx, "export", *timeout, err)
	}
	defer closeStore()
	b, err := st.Export(ctx)
	if err != nil {
		return withinTimeout(ctx, "export", *timeout, err)
	}
	if err := b.Write(stdout); err != nil {
		return err
	}
	log.Info("Exported subscriptions and settings.", "chats", len(b.Chats))
	return nil
}

// defaultStoreTimeout bounds the one-shot commands that talk to the store
// (export, import): a cron backup against a Redis that is down must report,
// not hang.
const defaultStoreTimeout = 10 * time.Second

// withinTimeout turns a store error after the command's deadline into one
// that says what to check.
func withinTimeout(ctx context.Context, cmd string, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("app: %s: the store did not answer within %s (is Redis at REDIS_URL up? --timeout waits longer): %w", cmd, timeout, err)
	}
	return err
}

// runImport restores subscriptions and settings from an export. With the
// embedded store of a running bot it writes through that bot's store,
// whose journal keeps each write before it is acknowledged; "Imported" is
// printed only then.
func runImport(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlags("import")
	timeout := fs.Duration("timeout", defaultStoreTimeout, "how long to wait for the store")
	args, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageError{"import takes one file: newsbot import [--timeout 10s] backup.json"}
	}
	f, err := os.Open(args[0])
	if err != nil {
		return usageError{fmt.Sprintf("import: %v", err)}
	}
	defer f.Close()
	b, err := store.ReadBackup(f)
	if err != nil {
		return usageError{fmt.Sprintf("import: %s: %v", args[0], err)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	st, closeStore, err := openStore(ctx, cfg, log, true)
	if err != nil {
		return withinTimeout(ctx, "import", *timeout, err)
	}
	defer closeStore()
	if err := st.Import(ctx, b); err != nil {
		return withinTimeout(ctx, "import", *timeout, err)
	}
	fmt.Fprintf(stdout, "Imported %d chats.\n", len(b.Chats))
	return nil
}
