// Package embedded runs a Redis-compatible server (miniredis) inside the
// newsbot process for installations without Redis (REDIS_URL empty), and
// keeps its content in DataDir.
//
// Durability: every command that changes data is appended to a journal
// (DataDir/journal-<n>.log) and fsync'd before the server answers it, or
// answers any later command of any client (group commit: concurrent writers
// share one fsync). A reply that says a write was done therefore means the
// write survives kill -9 and a power cut. Scripts are journaled by their
// effects (the write commands they ran), MULTI/EXEC as one record; key
// expiry is replayed on the same clock it ran on.
//
// The snapshot DataDir/state.json is a store.Backup document whose State
// holds every key of database 0 with its type, value and expiry time, and
// whose Chats hold the readers, so `newsbot import` can read it too; it
// also names the last journal record it contains. It is written atomically
// (temporary file, fsync, rename) every SaveEvery and at Close, after which
// the journal segments it covers are deleted. Start loads the snapshot and
// replays the journal records after it; temporary files of an interrupted
// save are removed.
//
// One process owns a DataDir: Start takes an flock on DataDir/lock and
// fails with ErrLocked while another process holds it. The server listens
// on a unix socket DataDir/store.sock (mode 0600), or, when that path is
// too long for a socket, on 127.0.0.1 on a free port; either way it
// requires a random password. The URL with the password is in
// DataDir/store.url (mode 0600), where LiveURL finds it.
//
// Persisted: strings, hashes, sets, sorted sets, lists and streams (entries
// only), with key expiry. Not persisted: stream consumer groups,
// HyperLogLogs, hash-field expiry, databases other than 0, loaded scripts.
// Refused: blocking commands, pub/sub subscriptions, SPOP, XADD with an
// ID of *, consumer-group commands, databases other than 0, scripts inside
// MULTI.
package embedded

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"

	"newsbot/internal/store"
)

// Files in DataDir.
const (
	// StateFile is the snapshot.
	StateFile = "state.json"
	// LockFile is held (flock) by the process that owns DataDir.
	LockFile = "lock"
	// SocketFile is the server's unix socket.
	SocketFile = "store.sock"
	// URLFile holds the running server's URL, password included.
	URLFile = "store.url"
)

// DefaultSaveEvery is the default interval between saves.
const DefaultSaveEvery = 30 * time.Second

// ttlTick is how often key TTLs are counted down.
const ttlTick = time.Second

// maxSocketPath is the longest unix socket path used; sun_path holds 108
// bytes on Linux and 104 on the BSDs, the terminating NUL included.
const maxSocketPath = 103

// Options configure the embedded server.
type Options struct {
	// DataDir holds the state; created (0700) when missing. Required.
	DataDir string
	// SaveEvery is the interval between snapshots, 30s by default.
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
	opts     Options
	path     string
	log      *slog.Logger
	mr       *miniredis.Miniredis
	srv      *server.Server
	ic       *conn // the server's own connection: snapshots and replay
	lock     *os.File
	ln       net.Listener
	addr     string
	url      string
	password string

	// wmu serializes every write with its journal record, the TTL clock
	// and the snapshot, so that a snapshot is exactly the records up to seq.
	wmu       sync.Mutex
	seq       uint64    // the last record applied
	clock     time.Time // how far TTLs have been counted down
	savedSeq  uint64    // the last record in state.json
	saved     bool      // state.json holds savedSeq
	j         *journal
	applied   atomic.Uint64 // seq, for readers outside wmu
	capturing atomic.Pointer[capture]
	peers     sync.Map // *server.Peer of the clients: not a script's
	failOnce  sync.Once

	connMu   sync.Mutex
	open     map[net.Conn]bool
	stopping bool
	conns    sync.WaitGroup

	saveMu    sync.Mutex // serializes Save
	closed    bool
	stop      chan struct{}
	loopDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Start locks DataDir, loads the snapshot, replays the journal, listens
// (see the package comment) and starts saving every SaveEvery.
//
// It fails with an error wrapping ErrLocked when another process holds
// DataDir. A state file that cannot be parsed is renamed to
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
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("embedded: data directory: %w", err)
	}
	opts.DataDir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: unable to create the data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:     opts,
		path:     filepath.Join(dir, StateFile),
		log:      opts.Logger,
		lock:     lock,
		open:     map[net.Conn]bool{},
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if err := s.start(ctx); err != nil {
		s.abandon()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	removeTemps(s.opts.DataDir, s.log)
	s.mr = miniredis.NewMiniRedis()
	// Dial starts miniredis without a listener of its own.
	c, err := s.mr.Dial()
	if err != nil {
		return fmt.Errorf("embedded: unable to start the server: %w", err)
	}
	c.Close()
	s.srv = s.mr.Server()
	s.password = randomHex(24)
	s.mr.RequireAuth(s.password)
	s.ic = newConn(s.mr)
	if _, err := s.ic.do("AUTH", s.password); err != nil {
		return err
	}
	s.srv.SetPreHook(s.preHook)
	seed, segs, err := s.load()
	if err != nil {
		return err
	}
	if s.j, err = openJournal(s.opts.DataDir, segs, s.seq); err != nil {
		return err
	}
	s.applied.Store(s.seq)
	if err := s.listen(); err != nil {
		return err
	}
	if seed != nil {
		if err := s.importChats(ctx, seed); err != nil {
			return err
		}
		if err := s.Save(); err != nil {
			return err
		}
		s.log.Info("Seeded the embedded Redis from a backup.", slog.String("path", s.path), slog.Int("chats", len(seed.Chats)))
	}
	go s.loop()
	return nil
}

// listen opens the socket (or the loopback port), writes store.url and
// starts accepting.
func (s *Server) listen() error {
	sock := filepath.Join(s.opts.DataDir, SocketFile)
	var err error
	if len(sock) <= maxSocketPath {
		os.Remove(sock) // left by a killed process; DataDir is locked
		if s.ln, err = net.Listen("unix", sock); err != nil {
			return fmt.Errorf("embedded: unable to listen on %s: %w", sock, err)
		}
		if err := os.Chmod(sock, 0o600); err != nil {
			return fmt.Errorf("embedded: unable to protect %s: %w", sock, err)
		}
		s.addr = sock
		s.url = "unix://:" + s.password + "@" + sock
	} else {
		s.log.Info("DATA_DIR is too long a path for a unix socket; the embedded store listens on loopback with a password.",
			slog.String("data_dir", s.opts.DataDir))
		if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("embedded: unable to listen on 127.0.0.1: %w", err)
		}
		s.addr = s.ln.Addr().String()
		s.url = "redis://:" + s.password + "@" + s.addr
	}
	if err := writeFileAtomic(filepath.Join(s.opts.DataDir, URLFile), []byte(s.url+"\n")); err != nil {
		return err
	}
	go s.accept()
	return nil
}

func (s *Server) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.connMu.Lock()
		if s.stopping {
			s.connMu.Unlock()
			nc.Close()
			return
		}
		s.open[nc] = true
		s.conns.Add(1)
		s.connMu.Unlock()
		go func() {
			s.serve(nc)
			s.connMu.Lock()
			delete(s.open, nc)
			s.connMu.Unlock()
		}()
	}
}

// Addr is the unix socket's path, or "127.0.0.1:port" when DataDir is too
// long a path for a socket.
func (s *Server) Addr() string { return s.addr }

// URL is the server's REDIS_URL, password included:
// "unix://:password@/data/store.sock" or "redis://:password@127.0.0.1:port".
func (s *Server) URL() string { return s.url }

// Path is the state file's path.
func (s *Server) Path() string { return s.path }

// loop counts TTLs down and saves every SaveEvery until Close.
//
// miniredis only counts TTLs down when told to. Its ClockTTL mode does it
// on every command by walking (and sorting) every key, which makes each
// command O(keys); a FastForward once per ttlTick costs that once a second
// instead, at the price of expiry up to ttlTick late. The journal records
// the clock, so a replay expires keys at the same points.
func (s *Server) loop() {
	defer close(s.loopDone)
	t := time.NewTicker(s.opts.SaveEvery)
	defer t.Stop()
	tick := time.NewTicker(ttlTick)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.wmu.Lock()
			s.advanceClock(s.opts.Now())
			s.wmu.Unlock()
		case <-t.C:
			if err := s.Save(); err != nil {
				s.log.Error("Unable to save the embedded Redis state.", slog.String("path", s.path), slog.Any("err", err))
			}
		}
	}
}

// advanceClock counts TTLs down to now; the caller holds wmu.
func (s *Server) advanceClock(now time.Time) {
	if d := now.Sub(s.clock); d > 0 {
		s.mr.FastForward(d)
		s.clock = now
	}
}

// Save writes a snapshot if anything was written since the last one:
// temporary file in DataDir, fsync, rename over state.json, fsync of the
// directory; then the journal segments it covers are deleted. It fails
// after Close.
func (s *Server) Save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if s.closed {
		return errors.New("embedded: server is closed")
	}
	return s.saveLocked()
}

func (s *Server) saveLocked() error {
	s.wmu.Lock()
	if s.saved && s.seq == s.savedSeq {
		s.wmu.Unlock()
		return nil
	}
	seq, clock := s.seq, s.clock
	st, err := snapshot(s.ic, clock)
	s.wmu.Unlock()
	if err != nil {
		return err
	}
	b := store.NewBackup(s.opts.Now())
	b.Chats = store.ChatsFromState(st, s.opts.Prefix)
	addMarker(st, seq, clock)
	b.State = st
	var out bytes.Buffer
	if err := b.Write(&out); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if err := writeFileAtomic(s.path, out.Bytes()); err != nil {
		return err
	}
	s.wmu.Lock()
	s.saved, s.savedSeq = true, seq
	s.wmu.Unlock()
	return s.j.rotateAndDrop(seq)
}

// Close stops accepting and drops the connections, saves a last time,
// syncs the journal and stops the server, then releases DataDir. The server
// is stopped even when the save fails (the journal still holds every
// write); the save error is returned. Calling Close again returns the first
// result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.loopDone
		s.dropClients()
		s.saveMu.Lock()
		err := s.saveLocked()
		s.closed = true
		s.saveMu.Unlock()
		if jerr := s.j.close(); err == nil && jerr != nil {
			err = jerr
		}
		if err == nil {
			s.removeSegments()
		}
		s.abandon()
		if err != nil {
			s.closeErr = fmt.Errorf("embedded: final save failed: %w", err)
		}
	})
	return s.closeErr
}

// dropClients stops accepting and closes every connection.
func (s *Server) dropClients() {
	if s.ln == nil {
		return
	}
	s.connMu.Lock()
	s.stopping = true
	s.ln.Close()
	for nc := range s.open {
		nc.Close()
	}
	s.connMu.Unlock()
	s.conns.Wait()
}

// removeSegments deletes the journal once the snapshot holds all of it.
func (s *Server) removeSegments() {
	segs, err := listSegments(s.opts.DataDir)
	if err != nil {
		return
	}
	for _, seg := range segs {
		os.Remove(seg.path)
	}
	syncDir(s.opts.DataDir)
}

// abandon releases what start opened, in reverse order.
func (s *Server) abandon() {
	s.dropClients()
	if s.j != nil {
		s.j.close()
	}
	if s.mr != nil {
		s.mr.Close()
	}
	if s.ln != nil {
		os.Remove(filepath.Join(s.opts.DataDir, URLFile))
		if s.ln.Addr().Network() == "unix" {
			os.Remove(s.addr)
		}
	}
	s.lock.Close() // releases the flock
}

// removeTemps deletes temporary files of a save that was interrupted.
func removeTemps(dir string, log *slog.Logger) {
	for _, pattern := range []string{StateFile + ".tmp-*", URLFile + ".tmp-*"} {
		names, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, n := range names {
			if err := os.Remove(n); err == nil {
				log.Info("Removed a temporary file of an interrupted save.", slog.String("path", n))
			}
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
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

// ErrLocked means another process owns the data directory.
var ErrLocked = errors.New("data directory locked")
