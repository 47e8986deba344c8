// Package app is newsbot's program: it parses the command line, reads the
// configuration, wires the parts together and runs them until a signal.
// End-to-end tests call Run directly.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"newsbot/internal/config"
)

// Version is set at build time: -ldflags "-X newsbot/internal/app.Version=v1.2.3"
// (make build and the Dockerfile do). A build without it reports the VCS
// revision Go recorded, when there is one.
var Version = "dev"

// version is Version, or "dev+<revision>" for an unstamped build of a
// checkout.
func version() string {
	if Version != "dev" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return Version
	}
	v := Version + "+" + rev[:min(12, len(rev))]
	if dirty {
		v += "-dirty"
	}
	return v
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2 // bad command line or configuration
)

const usage = `newsbot — Ukrainska Pravda news in Telegram, in the reader's language.

Usage:
  newsbot [run]                         run the bot (configured by environment variables)
  newsbot inspect URL|FILE [--edition uk|ru|en]
                                        print the article extracted from a page, as JSON
  newsbot scrape --once [--json]        print the latest items of each edition
  newsbot export [--timeout 10s]        write subscriptions and settings as JSON to stdout
  newsbot import [--timeout 10s] FILE   restore subscriptions and settings from an export
  newsbot healthcheck                   exit 0 when the bot on this host answers /healthz
  newsbot version                       print the version
  newsbot help                          print this help

Environment (see README.md for the full table):
`

// Main runs the program with the process's arguments, environment and
// signals, and returns the exit status.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
}

// Run runs one command and returns its exit status.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	case "version", "--version":
		fmt.Fprintf(stdout, "newsbot %s\n", version())
		return exitOK
	case "run", "inspect", "scrape", "export", "import", "healthcheck":
	default:
		fmt.Fprintf(stderr, "newsbot: unknown command %q; see newsbot help\n", cmd)
		return exitUsage
	}
	if wantsHelp(args) {
		fmt.Fprintf(stdout, "Usage:\n  %s\n\nSee newsbot help for the environment variables.\n", commandUsage[cmd])
		return exitOK
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	log := NewLogger(stderr, cfg.LogFormat, cfg.LogLevel, cfg.TelegramToken)
	switch cmd {
	case "run":
		if err := cfg.RequireToken(); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		err = runBot(ctx, cfg, log)
	case "inspect":
		err = runInspect(ctx, cfg, log, args, stdout)
	case "scrape":
		err = runScrape(ctx, cfg, log, args, stdout)
	case "export":
		err = runExport(ctx, cfg, log, args, stdout)
	case "import":
		err = runImport(ctx, cfg, log, args, stdout)
	case "healthcheck":
		err = runHealthcheck(ctx, cfg, args, stdout)
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "newsbot:", ue.msg)
		return exitUsage
	default:
		log.Error("newsbot stopped with an error.", "err", err)
		return exitFailed
	}
}

// commandUsage is the synopsis `newsbot <command> --help` prints.
var commandUsage = map[string]string{
	"run":         "newsbot [run]                 run the bot (configured by environment variables)",
	"inspect":     "newsbot inspect URL|FILE [--edition uk|ru|en]",
	"scrape":      "newsbot scrape --once [--json]",
	"export":      "newsbot export [--timeout 10s] > backup.json",
	"import":      "newsbot import [--timeout 10s] FILE",
	"healthcheck": "newsbot healthcheck           exit 0 when the bot on this host answers /healthz",
}

// wantsHelp reports whether a subcommand's arguments ask for its usage.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func printUsage(w io.Writer) {
	io.WriteString(w, usage)
	for _, v := range config.Vars {
		def := v.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "  %-24s %s Default: %s\n", v.Name, strings.TrimSuffix(v.Meaning, "."), def)
	}
}
