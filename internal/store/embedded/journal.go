package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The journal is a sequence of segment files journal-<n>.log in DataDir.
// Each record is
//
//	u32 payload length | u32 CRC-32C of the payload | payload
//
// and a payload is
//
//	u64 seq | i64 wall clock (unix ns) | i64 TTL clock (unix ns) |
//	u32 command count | per command: u32 argument count | per argument: u32 length, bytes
//
// A record is one atomic unit: a command, the write commands of a
// MULTI/EXEC, or the write commands a script ran. Records are appended by
// the server in sequence order and fsync'd in groups by one goroutine
// (group commit) before any reply that depends on them leaves the server.
const (
	journalPrefix = "journal-"
	journalSuffix = ".log"
	recordHeader  = 8
	// maxRecord bounds a record read back, so a corrupt length cannot
	// allocate gigabytes.
	maxRecord = 512 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// record is one journal entry.
type record struct {
	seq   uint64
	wall  time.Time // when it was applied (EXPIREAT and the like)
	clock time.Time // the TTL clock: how far TTLs had been counted down
	cmds  [][]string
}

// appendRecord encodes r after dst.
func appendRecord(dst []byte, r *record) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, recordHeader)...)
	dst = binary.LittleEndian.AppendUint64(dst, r.seq)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(r.wall.UnixNano()))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(r.clock.UnixNano()))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(r.cmds)))
	for _, cmd := range r.cmds {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(cmd)))
		for _, a := range cmd {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(a)))
			dst = append(dst, a...)
		}
	}
	payload := dst[start+recordHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, crcTable))
	return dst
}

var errTorn = errors.New("torn or corrupt record")

// readRecord reads one record; io.EOF at a clean end, errTorn when the
// rest of the file is not a whole, intact record.
func readRecord(r *bufio.Reader) (*record, int, error) {
	var h [recordHeader]byte
	if n, err := io.ReadFull(r, h[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		}
		return nil, 0, errTorn
	}
	size := binary.LittleEndian.Uint32(h[:4])
	if size < 28 || size > maxRecord {
		return nil, 0, errTorn
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, 0, errTorn
	}
	if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(h[4:]) {
		return nil, 0, errTorn
	}
	rec, ok := decodePayload(payload)
	if !ok {
		return nil, 0, errTorn
	}
	return rec, recordHeader + int(size), nil
}

func decodePayload(p []byte) (*record, bool) {
	u32 := func() (uint32, bool) {
		if len(p) < 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(p)
		p = p[4:]
		return v, true
	}
	r := &record{
		seq:   binary.LittleEndian.Uint64(p),
		wall:  time.Unix(0, int64(binary.LittleEndian.Uint64(p[8:]))),
		clock: time.Unix(0, int64(binary.LittleEndian.Uint64(p[16:]))),
	}
	p = p[24:]
	n, ok := u32()
	if !ok || int(n) > len(p) {
		return nil, false
	}
	r.cmds = make([][]string, n)
	for i := range r.cmds {
		argc, ok := u32()
		if !ok || int(argc) > len(p) {
			return nil, false
		}
		cmd := make([]string, argc)
		for j := range cmd {
			l, ok := u32()
			if !ok || int(l) > len(p) {
				return nil, false
			}
			cmd[j], p = string(p[:l]), p[l:]
		}
		r.cmds[i] = cmd
	}
	return r, len(p) == 0
}

// segment is a journal file and the last sequence number it holds.
type segment struct {
	n    int
	path string
	last uint64
}

// listSegments returns the journal segments in DataDir in order.
func listSegments(dir string) ([]segment, error) {
	names, err := filepath.Glob(filepath.Join(dir, journalPrefix+"*"+journalSuffix))
	if err != nil {
		return nil, fmt.Errorf("embedded: unable to list the journal: %w", err)
	}
	var segs []segment
	for _, p := range names {
		num := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), journalPrefix), journalSuffix)
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 {
			continue
		}
		segs = append(segs, segment{n: n, path: p})
	}
	slices.SortFunc(segs, func(a, b segment) int { return a.n - b.n })
	return segs, nil
}

func segmentPath(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("%s%08d%s", journalPrefix, n, journalSuffix))
}

// readSegment calls apply for every intact record of seg and returns the
// last sequence number seen. A torn tail (a crash or power cut during a
// write that was never acknowledged) is cut off when last is true; in an
// older segment it is an error.
func readSegment(seg *segment, last bool, apply func(*record) error) (dropped int64, err error) {
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("embedded: unable to open the journal: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for {
		rec, n, err := readRecord(r)
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		if err != nil {
			info, serr := f.Stat()
			if serr != nil {
				return 0, fmt.Errorf("embedded: journal %s: %w", seg.path, serr)
			}
			if !last {
				return 0, fmt.Errorf("embedded: journal %s is corrupt at byte %d: %w", seg.path, off, err)
			}
			if err := f.Truncate(off); err != nil {
				return 0, fmt.Errorf("embedded: unable to cut the torn end of %s: %w", seg.path, err)
			}
			if err := f.Sync(); err != nil {
				return 0, fmt.Errorf("embedded: unable to sync %s: %w", seg.path, err)
			}
			return info.Size() - off, nil
		}
		off += int64(n)
		seg.last = max(seg.last, rec.seq)
		if err := apply(rec); err != nil {
			return 0, err
		}
	}
}

// journal appends records to the current segment and fsyncs them in
// groups.
type journal struct {
	dir string

	mu       sync.Mutex
	cond     *sync.Cond
	pending  []byte
	lastSeq  uint64 // the last record in pending or written
	synced   uint64 // every record up to synced is on disk
	err      error  // sticky write or sync failure
	closing  bool
	rotate   bool
	rotation int       // count of rotations done
	segs     []segment // older segments, kept until a snapshot covers them
	cur      segment
	file     *os.File // owned by the sync goroutine
	done     chan struct{}
}

// openJournal starts a new segment after the ones in segs and the sync
// goroutine. synced is the last sequence number already on disk.
func openJournal(dir string, segs []segment, synced uint64) (*journal, error) {
	j := &journal{dir: dir, segs: segs, lastSeq: synced, synced: synced, done: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	n := 1
	if len(segs) > 0 {
		n = segs[len(segs)-1].n + 1
	}
	if err := j.openSegment(n); err != nil {
		return nil, err
	}
	go j.run()
	return j, nil
}

func (j *journal) openSegment(n int) error {
	p := segmentPath(j.dir, n)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("embedded: unable to create a journal segment: %w", err)
	}
	syncDir(j.dir)
	j.file, j.cur = f, segment{n: n, path: p, last: j.lastSeq}
	return nil
}

// add queues a record; the caller serializes add calls in seq order.
func (j *journal) add(r *record) {
	j.mu.Lock()
	j.pending = appendRecord(j.pending, r)
	j.lastSeq = r.seq
	j.mu.Unlock()
	j.cond.Broadcast()
}

// wait returns once every record up to seq is on disk, or the journal's
// failure.
func (j *journal) wait(seq uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced < seq && j.err == nil {
		j.cond.Wait()
	}
	return j.err
}

// run writes and fsyncs what is pending, one group at a time, until close.
func (j *journal) run() {
	defer close(j.done)
	j.mu.Lock()
	for {
		for len(j.pending) == 0 && !j.rotate && !j.closing {
			j.cond.Wait()
		}
		buf, seq := j.pending, j.lastSeq
		j.pending = nil
		closing, rotate, failed := j.closing, j.rotate, j.err != nil
		j.mu.Unlock()

		// After a failure nothing more is written: a later record on disk
		// behind a lost one would be replayed out of order.
		var err error
		if len(buf) > 0 && !failed {
			err = j.write(buf)
		}
		j.mu.Lock()
		if err != nil && j.err == nil {
			j.err = err
		}
		if len(buf) > 0 && err == nil {
			j.synced, j.cur.last = seq, seq
		}
		if rotate && len(j.pending) == 0 && j.err == nil {
			j.rotate = false
			j.err = j.rotateLocked()
			j.rotation++
		}
		j.cond.Broadcast()
		if closing && (len(j.pending) == 0 || j.err != nil) {
			j.file.Close()
			j.mu.Unlock()
			return
		}
	}
}

func (j *journal) write(buf []byte) error {
	if _, err := j.file.Write(buf); err != nil {
		return fmt.Errorf("embedded: unable to write the journal: %w", err)
	}
	if err := j.file.Sync(); err != nil {
		return fmt.Errorf("embedded: unable to sync the journal: %w", err)
	}
	return nil
}

// rotateLocked closes the current segment and starts the next one.
func (j *journal) rotateLocked() error {
	if err := j.file.Close(); err != nil {
		return fmt.Errorf("embedded: unable to close a journal segment: %w", err)
	}
	j.segs = append(j.segs, j.cur)
	return j.openSegment(j.cur.n + 1)
}

// rotateAndDrop starts a new segment, then deletes every older segment
// whose records all have sequence numbers up to covered (a snapshot holds
// them).
func (j *journal) rotateAndDrop(covered uint64) error {
	j.mu.Lock()
	want := j.rotation + 1
	j.rotate = true
	j.cond.Broadcast()
	for j.rotation < want && j.err == nil {
		j.cond.Wait()
	}
	if j.err != nil {
		j.mu.Unlock()
		return j.err
	}
	var keep, drop []segment
	for _, s := range j.segs {
		if s.last <= covered {
			drop = append(drop, s)
		} else {
			keep = append(keep, s)
		}
	}
	j.segs = keep
	j.mu.Unlock()
	for _, s := range drop {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("embedded: unable to remove a compacted journal segment: %w", err)
		}
	}
	if len(drop) > 0 {
		syncDir(j.dir)
	}
	return nil
}

// close writes what is pending and stops the sync goroutine.
func (j *journal) close() error {
	j.mu.Lock()
	j.closing = true
	j.mu.Unlock()
	j.cond.Broadcast()
	<-j.done
	return j.err
}

// syncDir makes renames, creations and removals in dir durable (best
// effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
