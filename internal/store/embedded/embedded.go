// Package embedded runs a Redis-compatible server (miniredis) inside the
// newsbot process for installations without Redis (REDIS_URL empty), and
// keeps its content in DataDir/state.json.
//
// The state file is a store.Backup document whose State holds every key of
// database 0 with its type, value and expiry time, and whose Chats hold the
// readers, so `newsbot import` can read it too. It is written atomically
// (temporary file in the same directory, fsync, rename) every SaveEvery and
// at Close. A snapshot is taken by one Lua script, which miniredis runs under
// its global lock, so the file is a consistent point in time.
//
// Persisted: strings, hashes, sets, sorted sets, lists and streams (entries
// only), with key expiry. Not persisted: stream consumer groups,
// HyperLogLogs, hash-field expiry, databases other than 0, loaded scripts.
package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"newsbot/internal/store"
)

// StateFile is the name of the state file in DataDir.
const StateFile = "state.json"

// DefaultSaveEvery is the default interval between saves.
const DefaultSaveEvery = 30 * time.Second

// ttlTick is how often key TTLs are counted down.
const ttlTick = time.Second

// Options configure the embedded server.
type Options struct {
	// DataDir holds state.json; created (0700) when missing. Required.
	DataDir string
	// SaveEvery is the interval between saves, 30s by default.
	SaveEvery time.Duration
	// Logger receives save errors and load notes; slog.Default() by default.
	Logger *slog.Logger
	// Prefix is the store's key prefix, used to list the chats in the state
	// file; store.DefaultPrefix by default.
	Prefix string
	// Now is the clock used for expiry times in the file, time.Now by
	// default.
	Now func() time.Time
}

// Server is a running embedded Redis server.
type Server struct {
	opts Options
	path string
	log  *slog.Logger
	mr   *miniredis.Miniredis

	saveMu   sync.Mutex // serializes Save
	lastHash [sha256.Size]byte
	saved    bool // lastHash is valid
	closed   bool

	stop      chan struct{}
	loopDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Start starts miniredis on 127.0.0.1 on a free port, loads
// DataDir/state.json when present and starts saving every SaveEvery.
//
// A state file that cannot be parsed is renamed to
// state.json.corrupt-<UTC time> (so that nothing overwrites it) and Start
// fails with an error naming both files. A file written by a newer version
// of the format is left in place and Start fails.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("embedded: DataDir is required")
	}
	if opts.SaveEvery <= 0 {
		opts.SaveEvery = DefaultSaveEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Prefix == "" {
		opts.Prefix = store.DefaultPrefix
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: unable to create the data directory: %w", err)
	}
	s := &Server{
		opts:     opts,
		path:     filepath.Join(opts.DataDir, StateFile),
		log:      opts.Logger,
		mr:       miniredis.NewMiniRedis(),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if err := s.mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("embedded: unable to start the server: %w", err)
	}
	if err := s.load(ctx); err != nil {
		s.mr.Close()
		return nil, err
	}
	go s.loop()
	return s, nil
}

// Addr is the server's "127.0.0.1:port".
func (s *Server) Addr() string { return s.mr.Addr() }

// URL is the server's address as a REDIS_URL ("redis://127.0.0.1:port").
func (s *Server) URL() string { return "redis://" + s.mr.Addr() }

// Path is the state file's path.
func (s *Server) Path() string { return s.path }

// loop counts TTLs down and saves every SaveEvery until Close.
//
// miniredis only counts TTLs down when told to. Its ClockTTL mode does it
// on every command by walking (and sorting) every key, which makes each
// command O(keys); a FastForward once per ttlTick costs that once a second
// instead, at the price of expiry up to ttlTick late.
func (s *Server) loop() {
	defer close(s.loopDone)
	t := time.NewTicker(s.opts.SaveEvery)
	defer t.Stop()
	tick := time.NewTicker(ttlTick)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			s.mr.FastForward(now.Sub(last))
			last = now
		case <-t.C:
			if err := s.Save(); err != nil {
				s.log.Error("Unable to save the embedded Redis state.", slog.String("path", s.path), slog.Any("error", err))
			}
		}
	}
}

// Save writes the state file if the content changed since the last save:
// temporary file in DataDir, fsync, rename over state.json, fsync of the
// directory. It fails after Close.
func (s *Server) Save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if s.closed {
		return errors.New("embedded: server is closed")
	}
	return s.saveLocked()
}

func (s *Server) saveLocked() error {
	st, err := snapshot(s.mr, s.opts.Now())
	if err != nil {
		return err
	}
	b := store.NewBackup(s.opts.Now())
	b.Chats = store.ChatsFromState(st, s.opts.Prefix)
	b.State = st
	var out bytes.Buffer
	if err := b.Write(&out); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	// Compare the content, not the creation time that heads the document.
	data := out.Bytes()
	body := data
	if i := bytes.Index(data, []byte("\n  \"chats\"")); i >= 0 {
		body = data[i:]
	}
	sum := sha256.Sum256(body)
	if s.saved && sum == s.lastHash {
		return nil
	}
	if err := writeFileAtomic(s.path, data); err != nil {
		return err
	}
	s.lastHash, s.saved = sum, true
	return nil
}

// Close stops the save timer, saves a last time and stops the server. The
// server is stopped even when the save fails; the save error is returned.
// Calling Close again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.loopDone
		s.saveMu.Lock()
		err := s.saveLocked()
		s.closed = true
		s.saveMu.Unlock()
		s.mr.Close()
		if err != nil {
			s.closeErr = fmt.Errorf("embedded: final save failed: %w", err)
		}
	})
	return s.closeErr
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new file, never a mix.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("embedded: unable to create a temporary state file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("embedded: unable to protect the state file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("embedded: unable to write the state file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("embedded: unable to sync the state file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("embedded: unable to close the state file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("embedded: unable to replace the state file: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}

// load restores the state file, if any.
func (s *Server) load(ctx context.Context) error {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Info("No embedded Redis state yet; starting empty.", slog.String("path", s.path))
		return nil
	}
	if err != nil {
		return fmt.Errorf("embedded: unable to open the state file: %w", err)
	}
	b, err := store.ReadBackup(f)
	f.Close()
	if err == nil && b.State != nil {
		err = b.State.Validate()
	}
	if errors.Is(err, store.ErrBackupVersion) {
		return fmt.Errorf("embedded: state file %s was written by another version of newsbot; left untouched: %w", s.path, err)
	}
	if err != nil {
		aside := s.path + ".corrupt-" + s.opts.Now().UTC().Format("20060102T150405Z")
		if rerr := os.Rename(s.path, aside); rerr != nil {
			return fmt.Errorf("embedded: state file %s is corrupt (%w) and could not be moved aside: %w", s.path, err, rerr)
		}
		return fmt.Errorf("embedded: state file %s is corrupt; kept as %s: %w", s.path, aside, err)
	}
	if b.State == nil {
		// A plain backup used as a seed: rebuild the chats and indexes.
		if err := s.importChats(ctx, b); err != nil {
			return err
		}
		s.log.Info("Seeded the embedded Redis from a backup.", slog.String("path", s.path), slog.Int("chats", len(b.Chats)))
		return nil
	}
	skipped, err := restore(s.mr, b.State, s.opts.Now())
	if err != nil {
		return err
	}
	s.log.Info("Loaded the embedded Redis state.", slog.String("path", s.path),
		slog.Int("keys", len(b.State.Keys)), slog.Int("expired_keys_skipped", skipped))
	return nil
}

// importChats writes a plain backup's chats through the store, which
// builds the indexes.
func (s *Server) importChats(ctx context.Context, b *store.Backup) error {
	rdb, err := store.Open(ctx, s.URL())
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{Prefix: s.opts.Prefix, Now: s.opts.Now, Logger: s.log})
	if err := st.Import(ctx, b); err != nil {
		return fmt.Errorf("embedded: unable to seed from %s: %w", s.path, err)
	}
	return nil
}
