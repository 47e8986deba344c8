package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

var backupChats = []news.Chat{
	{ID: -1001234, Lang: news.English, LangChosen: true, Breaking: true, Tags: []string{"war"}, Keywords: []string{"nato"}, Group: true, Created: epoch.Add(-48 * time.Hour)},
	{ID: 7, Lang: news.Ukrainian, Tags: []string{"sud", "viyna"}, Keywords: []string{"зеленський"}, Created: epoch.Add(-time.Hour)},
	{ID: 8, Lang: news.Russian, Inactive: true, Strikes: 3, Tags: []string{"sud"}, Created: epoch},
}

func TestExportWipeImport(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		for _, c := range backupChats {
			setChat(t, st, c)
		}
		b, err := st.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.Format != store.BackupFormat || b.Version != store.BackupVersion || !b.Created.Equal(epoch) {
			t.Errorf("backup header = %q %d %v", b.Format, b.Version, b.Created)
		}
		if diff := cmp.Diff(backupChats, b.Chats); diff != "" {
			t.Errorf("exported chats (-want +got):\n%s", diff)
		}
		var buf bytes.Buffer
		if err := b.Write(&buf); err != nil {
			t.Fatal(err)
		}
		before := gotIndexes(t, rdb, st.Prefix())

		flushAll(t, rdb)
		read, err := store.ReadBackup(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Import(ctx, read); err != nil {
			t.Fatal(err)
		}
		again, err := st.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(backupChats, again.Chats); diff != "" {
			t.Errorf("chats after the round trip (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(before, gotIndexes(t, rdb, st.Prefix())); diff != "" {
			t.Errorf("indexes after the round trip (-want +got):\n%s", diff)
		}
		checkIndexes(t, st, rdb)
	})
}

func TestImportReplacesOnlyChatsInTheBackup(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		setChat(t, st, news.Chat{ID: 7, Lang: news.English, Tags: []string{"old"}})
		setChat(t, st, news.Chat{ID: 99, Lang: news.English, Tags: []string{"kept"}})
		b := store.NewBackup(epoch)
		b.Chats = backupChats
		if err := st.Import(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, err := st.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := append(append([]news.Chat{}, backupChats...), news.Chat{ID: 99, Lang: news.English, Tags: []string{"kept"}, Created: epoch})
		if diff := cmp.Diff(want, got.Chats); diff != "" {
			t.Errorf("chats after import (-want +got):\n%s", diff)
		}
		if subs, _ := st.Subscribers(ctx, news.English, "old"); len(subs) != 0 {
			t.Errorf("the replaced chat still follows its old tag: %v", subs)
		}
		checkIndexes(t, st, rdb)
	})
}

func TestImportRejectsBadBackups(t *testing.T) {
	valid := func() *store.Backup {
		b := store.NewBackup(epoch)
		b.Chats = []news.Chat{{ID: 1, Lang: news.English}}
		return b
	}
	tests := []struct {
		name    string
		edit    func(b *store.Backup)
		wantErr error
	}{
		{"wrong format", func(b *store.Backup) { b.Format = "something-else" }, news.ErrInvalid},
		{"newer version", func(b *store.Backup) { b.Version = 2 }, store.ErrBackupVersion},
		{"bad tag", func(b *store.Backup) {
			b.Chats = append(b.Chats, news.Chat{ID: 2, Lang: news.English, Tags: []string{"a b"}})
		}, news.ErrInvalid},
		{"no language", func(b *store.Backup) { b.Chats = append(b.Chats, news.Chat{ID: 2}) }, news.ErrInvalid},
		{"chat ID 0", func(b *store.Backup) { b.Chats = append(b.Chats, news.Chat{Lang: news.English}) }, news.ErrInvalid},
		{"duplicate chat", func(b *store.Backup) { b.Chats = append(b.Chats, news.Chat{ID: 1, Lang: news.Russian}) }, news.ErrInvalid},
	}
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStore(rdb, store.Options{})
		for _, tt := range tests {
			b := valid()
			tt.edit(b)
			if err := st.Import(context.Background(), b); !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
			}
		}
		if err := st.Import(context.Background(), nil); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("nil backup: err = %v", err)
		}
		if n := keyCount(t, rdb); n != 0 {
			t.Errorf("rejected backups wrote %d keys", n)
		}
	})
}

func TestReadBackup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"not JSON", "hello", news.ErrInvalid},
		{"truncated", `{"format":"newsbot-backup","version":1,"chats":[`, news.ErrInvalid},
		{"other format", `{"format":"x","version":1}`, news.ErrInvalid},
		{"no format", `{"version":1}`, news.ErrInvalid},
		{"future version", `{"format":"newsbot-backup","version":7}`, store.ErrBackupVersion},
		{"trailing data", `{"format":"newsbot-backup","version":1} {}`, news.ErrInvalid},
		{"fine", `{"format":"newsbot-backup","version":1,"created":"2026-03-01T12:00:00Z","chats":[{"id":5,"lang":"uk"}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.ReadBackup(strings.NewReader(tt.in))
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestBackupDocumentIsStable(t *testing.T) {
	b := store.NewBackup(epoch)
	b.Chats = backupChats[:2]
	b.State = &store.RawState{Keys: []store.RawKey{
		{Key: "newsbot:chats", Type: store.TypeSet, Set: []store.Bytes{"-1001234", "7"}},
		{Key: "q\"\n\u2028", Type: store.TypeZSet, Expires: epoch, ZSet: []store.RawScored{{Member: "\xff", Score: "inf"}}},
	}}
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	want := `{
  "format": "newsbot-backup",
  "version": 1,
  "created": "2026-03-01T12:00:00Z",
  "chats": [
    {"id":-1001234,"lang":"en","lang_chosen":true,"breaking":true,"tags":["war"],"keywords":["nato"],"group":true,"created":"2026-02-27T12:00:00Z"},
    {"id":7,"lang":"uk","tags":["sud","viyna"],"keywords":["зеленський"],"created":"2026-03-01T11:00:00Z"}
  ],
  "state": {
    "keys": [
      {"key":"newsbot:chats","type":"set","set":["-1001234","7"]},
      {"key":"q\"\n\u2028","type":"zset","expires":"2026-03-01T12:00:00Z","zset":[{"member":{"base64":"/w=="},"score":"inf"}]}
    ]
  }
}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("backup document (-want +got):\n%s", diff)
	}
	back, err := store.ReadBackup(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, back); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	empty := store.NewBackup(epoch)
	buf.Reset()
	if err := empty.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ReadBackup(&buf); err != nil {
		t.Errorf("an empty backup does not read back: %v", err)
	}
}

func TestRawStateJSON(t *testing.T) {
	st := &store.RawState{Keys: []store.RawKey{
		{Key: "bin\xff\x00key", Type: store.TypeString, String: "\x80\x81 not utf-8", Expires: epoch},
		{Key: "h", Type: store.TypeHash, Hash: []store.RawField{{Field: "f\xfe", Value: "v"}}},
		{Key: "z", Type: store.TypeZSet, ZSet: []store.RawScored{{Member: "a", Score: "-inf"}, {Member: "b", Score: "0.1"}}},
		{Key: "s", Type: store.TypeStream, Stream: []store.RawEntry{{ID: "1-1", Fields: []store.Bytes{"k", "v"}}}},
		{Key: "utf8", Type: store.TypeString, String: "Зеленський"},
	}}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"Зеленський"`)) {
		t.Errorf("UTF-8 values should stay readable: %s", data)
	}
	if !bytes.Contains(data, []byte(`{"base64":`)) {
		t.Errorf("binary values should be base64: %s", data)
	}
	var back store.RawState
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := back.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	bad := []store.RawState{
		{Keys: []store.RawKey{{Key: "", Type: store.TypeString}}},
		{Keys: []store.RawKey{{Key: "a", Type: "hll"}}},
		{Keys: []store.RawKey{{Key: "a", Type: store.TypeZSet, ZSet: []store.RawScored{{Member: "m", Score: "high"}}}}},
		{Keys: []store.RawKey{{Key: "a", Type: store.TypeStream, Stream: []store.RawEntry{{ID: "1-1", Fields: []store.Bytes{"odd"}}}}}},
		{Keys: []store.RawKey{{Key: "a", Type: store.TypeString}, {Key: "a", Type: store.TypeString}}},
	}
	for i, b := range bad {
		if err := b.Validate(); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("bad state #%d: err = %v, want ErrInvalid", i, err)
		}
	}
	var b store.Bytes
	for _, in := range []string{`42`, `{"base64":"!!"}`, `{}`} {
		if err := json.Unmarshal([]byte(in), &b); err == nil {
			t.Errorf("Bytes accepted %s", in)
		}
	}
}

func TestChatsFromState(t *testing.T) {
	st := &store.RawState{Keys: []store.RawKey{
		{Key: "newsbot:chat:9", Type: store.TypeString, String: `{"id":9,"lang":"en","tags":["war"]}`},
		{Key: "newsbot:chat:-3", Type: store.TypeString, String: `{"lang":"uk"}`},
		{Key: "newsbot:chat:x", Type: store.TypeString, String: `{"lang":"uk"}`},
		{Key: "newsbot:chat:4", Type: store.TypeString, String: `not json`},
		{Key: "newsbot:chats", Type: store.TypeSet, Set: []store.Bytes{"9", "-3"}},
		{Key: "other:chat:5", Type: store.TypeString, String: `{"lang":"uk"}`},
	}}
	want := []news.Chat{{ID: -3, Lang: news.Ukrainian}, {ID: 9, Lang: news.English, Tags: []string{"war"}}}
	if diff := cmp.Diff(want, store.ChatsFromState(st, "")); diff != "" {
		t.Errorf("ChatsFromState (-want +got):\n%s", diff)
	}
}
