package store

import (
	"bufio"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// The backup document's identity.
const (
	BackupFormat  = "newsbot-backup"
	BackupVersion = 1
)

// ErrBackupVersion means a backup was written in a version of the format
// this build cannot read.
var ErrBackupVersion = errors.New("store: unsupported backup version")

// maxBackupBytes bounds what ReadBackup reads.
const maxBackupBytes = 1 << 30

// exportBatch is how many chats Export reads per MGET.
const exportBatch = 500

// Backup is the stable, versioned JSON document of `newsbot export` and
// `newsbot import`, and of the embedded store's state file.
type Backup struct {
	Format  string      `json:"format"`  // BackupFormat
	Version int         `json:"version"` // BackupVersion
	Created time.Time   `json:"created"`
	Chats   []news.Chat `json:"chats"`
	// State is every key of the database; only the embedded store's state
	// file has it, and Import ignores it.
	State *RawState `json:"state,omitempty"`
}

// RawState is the content of a Redis database, key by key.
type RawState struct {
	Keys []RawKey `json:"keys"`
}

// Raw key types.
const (
	TypeString = "string"
	TypeHash   = "hash"
	TypeSet    = "set"
	TypeZSet   = "zset"
	TypeList   = "list"
	TypeStream = "stream"
)

// RawKey is one key with its value; only the field of its Type is set.
type RawKey struct {
	Key  Bytes  `json:"key"`
	Type string `json:"type"`
	// Expires is when the key expires; zero when it does not.
	Expires time.Time   `json:"expires,omitzero"`
	String  Bytes       `json:"string,omitempty"`
	Hash    []RawField  `json:"hash,omitempty"`   // sorted by field
	Set     []Bytes     `json:"set,omitempty"`    // sorted
	ZSet    []RawScored `json:"zset,omitempty"`   // by score, then member
	List    []Bytes     `json:"list,omitempty"`   // head first
	Stream  []RawEntry  `json:"stream,omitempty"` // by ID
}

// RawField is a hash field.
type RawField struct {
	Field Bytes `json:"field"`
	Value Bytes `json:"value"`
}

// RawScored is a sorted-set member. Score is written as Redis prints it
// ("1", "2.5", "inf", "-inf"), so that infinities survive JSON.
type RawScored struct {
	Member Bytes  `json:"member"`
	Score  string `json:"score"`
}

// RawEntry is a stream entry: its ID and its field/value pairs in order.
type RawEntry struct {
	ID     string  `json:"id"`
	Fields []Bytes `json:"fields"`
}

// Bytes is a binary-safe string for JSON: valid UTF-8 is written as a JSON
// string, anything else as {"base64": "…"}.
type Bytes string

// MarshalJSON implements json.Marshaler.
func (b Bytes) MarshalJSON() ([]byte, error) { return b.appendJSON(nil), nil }

// appendJSON appends b as a JSON string, or as {"base64": "…"} when it is
// not valid UTF-8.
func (b Bytes) appendJSON(dst []byte) []byte {
	if utf8.ValidString(string(b)) {
		return appendString(dst, string(b))
	}
	dst = append(dst, `{"base64":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, []byte(b))
	return append(dst, `"}`...)
}

// appendString appends s (valid UTF-8) as a JSON string, escaping only what
// JSON requires (and U+2028, U+2029).
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// MarshalJSON implements json.Marshaler; Backup.Write uses the same form.
func (k RawKey) MarshalJSON() ([]byte, error) { return k.appendJSON(nil), nil }

// appendJSON writes k on one line, fields in a fixed order.
func (k RawKey) appendJSON(dst []byte) []byte {
	list := func(dst []byte, name string, items []Bytes) []byte {
		dst = append(dst, `,"`+name+`":[`...)
		for i, it := range items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = it.appendJSON(dst)
		}
		return append(dst, ']')
	}
	dst = append(dst, `{"key":`...)
	dst = k.Key.appendJSON(dst)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, strings.ToValidUTF8(k.Type, ""))
	if !k.Expires.IsZero() {
		dst = append(dst, `,"expires":"`...)
		dst = k.Expires.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	if k.String != "" {
		dst = append(dst, `,"string":`...)
		dst = k.String.appendJSON(dst)
	}
	if len(k.Hash) > 0 {
		dst = append(dst, `,"hash":[`...)
		for i, f := range k.Hash {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"field":`...)
			dst = f.Field.appendJSON(dst)
			dst = append(dst, `,"value":`...)
			dst = f.Value.appendJSON(dst)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(k.Set) > 0 {
		dst = list(dst, "set", k.Set)
	}
	if len(k.ZSet) > 0 {
		dst = append(dst, `,"zset":[`...)
		for i, z := range k.ZSet {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"member":`...)
			dst = z.Member.appendJSON(dst)
			dst = append(dst, `,"score":`...)
			dst = appendString(dst, strings.ToValidUTF8(z.Score, ""))
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(k.List) > 0 {
		dst = list(dst, "list", k.List)
	}
	if len(k.Stream) > 0 {
		dst = append(dst, `,"stream":[`...)
		for i, e := range k.Stream {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			dst = appendString(dst, strings.ToValidUTF8(e.ID, ""))
			dst = list(dst, "fields", e.Fields)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*b = Bytes(s)
		return nil
	}
	var o struct {
		Base64 *string `json:"base64"`
	}
	if err := json.Unmarshal(data, &o); err != nil || o.Base64 == nil {
		return fmt.Errorf("store: want a string or {\"base64\": …}, got %.40s", data)
	}
	raw, err := base64.StdEncoding.DecodeString(*o.Base64)
	if err != nil {
		return fmt.Errorf("store: bad base64 value: %w", err)
	}
	*b = Bytes(raw)
	return nil
}

// Validate checks that every key is well formed: a known type, a
// parseable score, stream entries with IDs and field/value pairs, no key
// twice.
func (st *RawState) Validate() error {
	seen := make(map[Bytes]bool, len(st.Keys))
	for i, k := range st.Keys {
		if k.Key == "" {
			return fmt.Errorf("store: state key #%d has no name: %w", i, news.ErrInvalid)
		}
		if seen[k.Key] {
			return fmt.Errorf("store: state key %q appears twice: %w", clip(string(k.Key)), news.ErrInvalid)
		}
		seen[k.Key] = true
		switch k.Type {
		case TypeString, TypeHash, TypeSet, TypeList:
		case TypeZSet:
			for _, z := range k.ZSet {
				if _, err := ParseScore(z.Score); err != nil {
					return fmt.Errorf("store: state key %q: %w", clip(string(k.Key)), err)
				}
			}
		case TypeStream:
			for _, e := range k.Stream {
				if e.ID == "" || len(e.Fields)%2 != 0 {
					return fmt.Errorf("store: state key %q has a malformed stream entry: %w", clip(string(k.Key)), news.ErrInvalid)
				}
			}
		default:
			return fmt.Errorf("store: state key %q has unknown type %q: %w", clip(string(k.Key)), clip(k.Type), news.ErrInvalid)
		}
	}
	return nil
}

// ParseScore parses a sorted-set score as Redis prints it.
func ParseScore(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("store: bad score %q: %w", clip(s), news.ErrInvalid)
	}
	return f, nil
}

// ReadBackup decodes a backup document and checks its format and version.
// A document of another version gives an error wrapping ErrBackupVersion;
// anything else that is not a backup, one wrapping news.ErrInvalid.
func ReadBackup(r io.Reader) (*Backup, error) {
	dec := json.NewDecoder(io.LimitReader(r, maxBackupBytes))
	var b Backup
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("store: backup is not valid JSON: %w: %w", news.ErrInvalid, err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("store: backup has data after the document: %w", news.ErrInvalid)
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	return &b, nil
}

func (b *Backup) check() error {
	if b.Format != BackupFormat {
		return fmt.Errorf("store: not a newsbot backup (format %q, want %q): %w", clip(b.Format), BackupFormat, news.ErrInvalid)
	}
	if b.Version != BackupVersion {
		return fmt.Errorf("store: backup version %d, this build reads version %d: %w", b.Version, BackupVersion, ErrBackupVersion)
	}
	return nil
}

// Write writes the backup as JSON with one chat, and one raw key, per line
// (stable: the same backup always gives the same bytes).
func (b *Backup) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 0, 4096)
	buf = append(buf, "{\n  \"format\": "...)
	buf = appendString(buf, strings.ToValidUTF8(b.Format, ""))
	buf = append(buf, ",\n  \"version\": "...)
	buf = strconv.AppendInt(buf, int64(b.Version), 10)
	buf = append(buf, ",\n  \"created\": \""...)
	buf = b.Created.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, "\",\n  \"chats\": ["...)
	for i := range b.Chats {
		if i > 0 {
			buf = append(buf, ',')
		}
		c, err := json.Marshal(&b.Chats[i])
		if err != nil {
			return fmt.Errorf("store: unable to encode chat %d: %w", b.Chats[i].ID, err)
		}
		buf = append(buf, "\n    "...)
		buf = append(buf, c...)
		if len(buf) > 32<<10 {
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("store: unable to write backup: %w", err)
			}
			buf = buf[:0]
		}
	}
	if len(b.Chats) > 0 {
		buf = append(buf, "\n  "...)
	}
	buf = append(buf, ']')
	if b.State != nil {
		buf = append(buf, ",\n  \"state\": {\n    \"keys\": ["...)
		for i, k := range b.State.Keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, "\n      "...)
			buf = k.appendJSON(buf)
			if len(buf) > 32<<10 {
				if _, err := bw.Write(buf); err != nil {
					return fmt.Errorf("store: unable to write backup: %w", err)
				}
				buf = buf[:0]
			}
		}
		if len(b.State.Keys) > 0 {
			buf = append(buf, "\n    "...)
		}
		buf = append(buf, "]\n  }"...)
	}
	buf = append(buf, "\n}\n"...)
	if _, err := bw.Write(buf); err != nil {
		return fmt.Errorf("store: unable to write backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: unable to write backup: %w", err)
	}
	return nil
}

// NewBackup returns an empty backup document created at t.
func NewBackup(t time.Time) *Backup {
	return &Backup{Format: BackupFormat, Version: BackupVersion, Created: t.UTC(), Chats: []news.Chat{}}
}

// Export returns every chat (settings and subscriptions), sorted by ID.
// Unreadable chat records are skipped with a warning.
func (s *Store) Export(ctx context.Context) (*Backup, error) {
	ids, err := s.ChatIDs(ctx)
	if err != nil {
		return nil, err
	}
	b := NewBackup(s.now())
	for start := 0; start < len(ids); start += exportBatch {
		batch := ids[start:min(len(ids), start+exportBatch)]
		vals, err := s.chatRecords(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("store: unable to read chats for export: %w", err)
		}
		for i, v := range vals {
			if v == nil {
				continue // deleted meanwhile
			}
			var c news.Chat
			if err := json.Unmarshal([]byte(*v), &c); err != nil {
				s.log.Warn("Leaving an unreadable chat out of the export.", slog.Int64("chat_id", batch[i]), slog.Any("err", err))
				continue
			}
			c.ID = batch[i]
			b.Chats = append(b.Chats, c)
		}
	}
	return b, nil
}

// chatRecords reads the raw records of chats ids (nil where missing): one
// MGET per chat shard, since each shard is one Cluster slot, all in one
// pipeline.
func (s *Store) chatRecords(ctx context.Context, ids []int64) ([]*string, error) {
	var byShard [chatShards][]int
	for i, id := range ids {
		n := chatShard(id)
		byShard[n] = append(byShard[n], i)
	}
	var cmds [chatShards]*redis.SliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n, idx := range byShard {
			if len(idx) == 0 {
				continue
			}
			keys := make([]string, len(idx))
			for j, i := range idx {
				keys[j] = s.k.chat(ids[i])
			}
			cmds[n] = p.MGet(ctx, keys...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*string, len(ids))
	for n, idx := range byShard {
		if cmds[n] == nil {
			continue
		}
		for j, v := range cmds[n].Val() {
			if str, ok := v.(string); ok {
				out[idx[j]] = &str
			}
		}
	}
	return out, nil
}

// Import checks the backup's format and version and every chat in it, then
// replaces each of those chats through UpdateChat, indexes included. Chats
// not in the backup are left alone. Nothing is written when any chat is
// invalid (error wrapping news.ErrInvalid).
func (s *Store) Import(ctx context.Context, b *Backup) error {
	if b == nil {
		return fmt.Errorf("store: nil backup: %w", news.ErrInvalid)
	}
	if err := b.check(); err != nil {
		return err
	}
	seen := make(map[int64]bool, len(b.Chats))
	for i := range b.Chats {
		c := b.Chats[i]
		c.Tags, c.Keywords = slices.Clone(c.Tags), slices.Clone(c.Keywords)
		if err := normalizeChat(&c); err != nil {
			return fmt.Errorf("store: backup chat #%d: %w", i, err)
		}
		if seen[c.ID] {
			return fmt.Errorf("store: backup has chat %d twice: %w", c.ID, news.ErrInvalid)
		}
		seen[c.ID] = true
	}
	for _, c := range b.Chats {
		_, err := s.UpdateChat(ctx, c.ID, func(dst *news.Chat, _ bool) error {
			*dst = c
			dst.Tags, dst.Keywords = slices.Clone(c.Tags), slices.Clone(c.Keywords)
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: unable to import chat %d: %w", c.ID, err)
		}
	}
	return nil
}

// ChatsFromState returns the chats stored in a raw state under prefix
// ("" for the default), sorted by ID; unreadable records are skipped. It
// reads the sharded chat keys and those of the layout before them
// (chat:<id>, see UpgradeLayout).
func ChatsFromState(st *RawState, prefix string) []news.Chat {
	if st == nil {
		return nil
	}
	pre := normalizePrefix(prefix) + keyChat
	var out []news.Chat
	for _, k := range st.Keys {
		rest, ok := strings.CutPrefix(string(k.Key), pre)
		if !ok || k.Type != TypeString {
			continue
		}
		if tag, after, sharded := strings.Cut(rest, "}:"); sharded && strings.HasPrefix(tag, "{c") {
			rest = after
		}
		id, ok := parseID(rest)
		if !ok || id == 0 {
			continue
		}
		var c news.Chat
		if err := json.Unmarshal([]byte(k.String), &c); err != nil {
			continue
		}
		c.ID = id
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b news.Chat) int { return cmp.Compare(a.ID, b.ID) })
	// A state saved while UpgradeLayout ran may hold a chat under both names.
	return slices.CompactFunc(out, func(a, b news.Chat) bool { return a.ID == b.ID })
}
