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
	"strings"
	"syscall"

	"newsbot/internal/config"
)

// Version is set at build time: -ldflags "-X newsbot/internal/app.Version=v1.2.3".
var Version = "dev"

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
  newsbot export                        write subscriptions and settings as JSON to stdout
  newsbot import FILE                   restore subscriptions and settings from an export
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
		fmt.Fprintf(stdout, "newsbot %s\n", Version)
		return exitOK
	case "run", "inspect", "scrape", "export", "import":
	default:
		fmt.Fprintf(stderr, "newsbot: unknown command %q; see newsbot help\n", cmd)
		return exitUsage
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
