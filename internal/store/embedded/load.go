package embedded

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"newsbot/internal/store"
)

// markerKey is the state file's entry naming the last journal record the
// snapshot holds and the TTL clock it was taken at. It is never a key of
// the database: Save adds it to the file, load takes it out. The NUL byte
// keeps it apart from every key the store writes.
const markerKey = "\x00newsbot-embedded-journal"

func addMarker(st *store.RawState, seq uint64, clock time.Time) {
	v := fmt.Sprintf("v1 seq=%d clock=%d", seq, clock.UnixNano())
	st.Keys = append([]store.RawKey{{Key: markerKey, Type: store.TypeString, String: store.Bytes(v)}}, st.Keys...)
}

// takeMarker removes the marker from st and returns what it says.
func takeMarker(st *store.RawState) (seq uint64, clock time.Time, ok bool, err error) {
	for i, k := range st.Keys {
		if k.Key != markerKey {
			continue
		}
		st.Keys = append(st.Keys[:i:i], st.Keys[i+1:]...)
		var ns int64
		if _, err := fmt.Sscanf(string(k.String), "v1 seq=%d clock=%d", &seq, &ns); err != nil {
			return 0, time.Time{}, false, fmt.Errorf("embedded: unreadable journal marker %q: %w", k.String, err)
		}
		return seq, time.Unix(0, ns), true, nil
	}
	return 0, time.Time{}, false, nil
}

// load restores the state file, if any, and replays the journal after it.
// It returns a plain backup that still has to be imported (a seed), and
// the journal segments found.
func (s *Server) load() (seed *store.Backup, segs []segment, err error) {
	b, err := s.readState()
	if err != nil {
		return nil, nil, err
	}
	s.clock = s.opts.Now()
	keys, skipped := 0, 0
	if b != nil && b.State != nil {
		seq, clock, ok, err := takeMarker(b.State)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			s.seq, s.savedSeq, s.saved, s.clock = seq, seq, true, clock
		}
		if skipped, err = restore(s.mr, b.State, s.clock); err != nil {
			return nil, nil, err
		}
		keys = len(b.State.Keys)
	}
	base := s.seq
	// Without a state file the clock starts at the first record's.
	segs, err = s.replay(b != nil && b.State != nil)
	if err != nil {
		return nil, nil, err
	}
	s.advanceClock(s.opts.Now())
	if b != nil && b.State == nil && s.seq == 0 {
		seed = b
	}
	if b != nil && b.State != nil || s.seq > base {
		s.log.Info("Loaded the embedded Redis state.", slog.String("path", s.path),
			slog.Int("keys", keys), slog.Int("expired_keys_skipped", skipped),
			slog.Uint64("journal_records_replayed", s.seq-base))
	}
	return seed, segs, nil
}

// readState reads state.json; nil when there is none.
func (s *Server) readState() (*store.Backup, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Info("No embedded Redis state file yet.", slog.String("path", s.path))
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: unable to open the state file: %w", err)
	}
	b, err := store.ReadBackup(f)
	f.Close()
	if err == nil && b.State != nil {
		err = b.State.Validate()
	}
	if errors.Is(err, store.ErrBackupVersion) {
		return nil, fmt.Errorf("embedded: state file %s was written by another version of newsbot; left untouched: %w", s.path, err)
	}
	if err != nil {
		aside := s.path + ".corrupt-" + s.opts.Now().UTC().Format("20060102T150405Z")
		if rerr := os.Rename(s.path, aside); rerr != nil {
			return nil, fmt.Errorf("embedded: state file %s is corrupt (%w) and could not be moved aside: %w", s.path, err, rerr)
		}
		return nil, fmt.Errorf("embedded: state file %s is corrupt; kept as %s: %w", s.path, aside, err)
	}
	return b, nil
}

// replay applies the journal records after s.seq, each at the wall time
// and on the TTL clock it first ran at.
func (s *Server) replay(clockSet bool) ([]segment, error) {
	segs, err := listSegments(s.opts.DataDir)
	if err != nil {
		return nil, err
	}
	defer s.mr.SetTime(time.Time{})
	for i := range segs {
		dropped, err := readSegment(&segs[i], i == len(segs)-1, func(r *record) error {
			if r.seq <= s.seq {
				return nil // in the snapshot already
			}
			if r.seq != s.seq+1 {
				s.log.Error("The embedded store's journal has a gap; records are missing.",
					slog.Uint64("after", s.seq), slog.Uint64("next", r.seq), slog.String("path", segs[i].path))
			}
			if !clockSet {
				s.clock, clockSet = r.clock, true
			}
			s.mr.SetTime(r.wall)
			s.advanceClock(r.clock)
			for _, cmd := range r.cmds {
				s.ic.run(cmd)
			}
			s.seq = r.seq
			return nil
		})
		if err != nil {
			return nil, err
		}
		if dropped > 0 {
			s.log.Warn("Cut the torn end of the embedded store's journal: a write that was never acknowledged.",
				slog.String("path", segs[i].path), slog.Int64("bytes", dropped))
		}
	}
	return segs, nil
}

// importChats writes a plain backup's chats through the store, which
// builds the indexes (and journals them).
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

// LiveURL returns the URL of the server that owns dataDir, read from its
// store.url; an error wrapping fs.ErrNotExist when there is none.
func LiveURL(dataDir string) (string, error) {
	data, err := os.ReadFile(dataDir + string(os.PathSeparator) + URLFile)
	if err != nil {
		return "", fmt.Errorf("embedded: unable to read the running store's address: %w", err)
	}
	u := strings.TrimSpace(string(data))
	if u == "" {
		return "", fmt.Errorf("embedded: %s is empty: %w", URLFile, fs.ErrNotExist)
	}
	return u, nil
}
