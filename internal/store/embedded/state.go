package embedded

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/alicebob/miniredis/v2"

	"newsbot/internal/store"
)

// snapshotAttempts bounds the optimistic snapshots tried before falling
// back to the Lua one.
const snapshotAttempts = 5

// snapshot returns every key of database 0 as it was at one instant.
//
// It runs commands through the server's own dispatcher (no network): KEYS,
// then one MULTI/EXEC reading every type, then one MULTI/EXEC reading every
// TTL and value together with KEYS again. miniredis runs an EXEC under its
// global lock, so the second one is a point in time; it is accepted when no
// key appeared since the key list was taken and no key changed type (an
// error reply), and retried with the fresh list otherwise. After
// snapshotAttempts misses it falls back to one Lua script (also atomic, but
// several times slower and holding the lock longer).
func snapshot(c *conn, now time.Time) (*store.RawState, error) {
	reply, err := c.do("KEYS", "*")
	if err != nil {
		return nil, err
	}
	names := strs(reply)
	for range snapshotAttempts {
		typeCmds := make([][]string, len(names))
		for i, k := range names {
			typeCmds[i] = []string{"TYPE", k}
		}
		types, err := c.exec(typeCmds)
		if err != nil {
			return nil, err
		}
		cmds := make([][]string, 0, 1+2*len(names))
		cmds = append(cmds, []string{"KEYS", "*"})
		for i, k := range names {
			typ, _ := types[i].(string)
			cmds = append(cmds, []string{"PTTL", k}, valueCmd(typ, k))
		}
		res, err := c.exec(cmds)
		if err != nil {
			return nil, err
		}
		current := strs(res[0])
		if !subset(current, names) || hasError(res) {
			names = current
			continue
		}
		rows := make([]any, 0, len(names))
		for i, k := range names {
			pttl, _ := res[1+2*i].(int)
			if pttl == -2 {
				continue // deleted since the key list was taken
			}
			typ, _ := types[i].(string)
			rows = append(rows, []any{k, typ, pttl, res[2+2*i]})
		}
		return buildState(rows, now)
	}
	return snapshotLua(c, now)
}

// valueCmd is the command reading a key of type typ whole.
func valueCmd(typ, key string) []string {
	switch typ {
	case store.TypeString:
		return []string{"GET", key}
	case store.TypeHash:
		return []string{"HGETALL", key}
	case store.TypeSet:
		return []string{"SMEMBERS", key}
	case store.TypeZSet:
		return []string{"ZRANGE", key, "0", "-1", "WITHSCORES"}
	case store.TypeList:
		return []string{"LRANGE", key, "0", "-1"}
	case store.TypeStream:
		return []string{"XRANGE", key, "-", "+"}
	}
	return []string{"EXISTS", key} // a type the file does not keep
}

func strs(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func subset(a, b []string) bool {
	in := make(map[string]bool, len(b))
	for _, k := range b {
		in[k] = true
	}
	for _, k := range a {
		if !in[k] {
			return false
		}
	}
	return true
}

func hasError(replies []any) bool {
	for _, r := range replies {
		if _, ok := r.(respError); ok {
			return true
		}
	}
	return false
}

// snapshotScript returns every key of the database as
// {key, type, pttl, value}; miniredis runs a script under its global lock.
const snapshotScript = `
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local t = redis.call('TYPE', k)
  if type(t) == 'table' then t = t['ok'] end
  local v = false
  if t == 'string' then v = redis.call('GET', k)
  elseif t == 'hash' then v = redis.call('HGETALL', k)
  elseif t == 'set' then v = redis.call('SMEMBERS', k)
  elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1)
  elseif t == 'stream' then v = redis.call('XRANGE', k, '-', '+')
  end
  out[#out + 1] = {k, t, redis.call('PTTL', k), v}
end
return out
`

// snapshotLua takes the snapshot with one Lua script.
func snapshotLua(c *conn, now time.Time) (*store.RawState, error) {
	reply, err := c.do("EVAL", snapshotScript, "0")
	if err != nil {
		return nil, err
	}
	rows, ok := reply.([]any)
	if !ok && reply != nil {
		return nil, fmt.Errorf("embedded: snapshot: unexpected reply %T", reply)
	}
	return buildState(rows, now)
}

// buildState turns {key, type, pttl, value} rows into a sorted RawState.
func buildState(rows []any, now time.Time) (*store.RawState, error) {
	st := &store.RawState{Keys: make([]store.RawKey, 0, len(rows))}
	for _, r := range rows {
		k, err := rawKey(r, now)
		if err != nil {
			return nil, err
		}
		if k.Type != "" {
			st.Keys = append(st.Keys, k)
		}
	}
	slices.SortFunc(st.Keys, func(a, b store.RawKey) int { return cmp.Compare(a.Key, b.Key) })
	return st, nil
}

// rawKey converts one {key, type, pttl, value} row; a key of a type the
// file cannot hold comes back with an empty Type.
func rawKey(row any, now time.Time) (store.RawKey, error) {
	r, ok := row.([]any)
	if !ok || len(r) != 4 {
		return store.RawKey{}, fmt.Errorf("embedded: snapshot: malformed row %v", row)
	}
	name, _ := r[0].(string)
	typ, _ := r[1].(string)
	k := store.RawKey{Key: store.Bytes(name), Type: typ}
	if pttl, ok := r[2].(int); ok && pttl > 0 {
		k.Expires = now.Add(time.Duration(pttl) * time.Millisecond).UTC()
	}
	strs := func() []store.Bytes {
		items, _ := r[3].([]any)
		out := make([]store.Bytes, 0, len(items))
		for _, it := range items {
			s, _ := it.(string)
			out = append(out, store.Bytes(s))
		}
		return out
	}
	switch typ {
	case store.TypeString:
		s, _ := r[3].(string)
		k.String = store.Bytes(s)
	case store.TypeHash:
		flat := strs()
		for i := 0; i+1 < len(flat); i += 2 {
			k.Hash = append(k.Hash, store.RawField{Field: flat[i], Value: flat[i+1]})
		}
		slices.SortFunc(k.Hash, func(a, b store.RawField) int { return cmp.Compare(a.Field, b.Field) })
	case store.TypeSet:
		k.Set = strs()
		slices.Sort(k.Set)
	case store.TypeZSet:
		flat := strs()
		for i := 0; i+1 < len(flat); i += 2 {
			k.ZSet = append(k.ZSet, store.RawScored{Member: flat[i], Score: string(flat[i+1])})
		}
	case store.TypeList:
		k.List = strs()
	case store.TypeStream:
		entries, _ := r[3].([]any)
		for _, e := range entries {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				return store.RawKey{}, fmt.Errorf("embedded: snapshot: malformed stream entry in %q", name)
			}
			id, _ := pair[0].(string)
			fields, _ := pair[1].([]any)
			entry := store.RawEntry{ID: id, Fields: make([]store.Bytes, 0, len(fields))}
			for _, f := range fields {
				s, _ := f.(string)
				entry.Fields = append(entry.Fields, store.Bytes(s))
			}
			k.Stream = append(k.Stream, entry)
		}
	default:
		k.Type = "" // HyperLogLog and the like: not kept
	}
	return k, nil
}

// restore writes st into the (empty) server and returns how many keys were
// skipped because they had expired by now.
func restore(mr *miniredis.Miniredis, st *store.RawState, now time.Time) (skipped int, err error) {
	for _, k := range st.Keys {
		if !k.Expires.IsZero() && !k.Expires.After(now) {
			skipped++
			continue
		}
		name := string(k.Key)
		written := true
		switch k.Type {
		case store.TypeString:
			err = mr.Set(name, string(k.String))
		case store.TypeHash:
			fv := make([]string, 0, 2*len(k.Hash))
			for _, f := range k.Hash {
				fv = append(fv, string(f.Field), string(f.Value))
			}
			if written = len(fv) > 0; written {
				mr.HSet(name, fv...)
			}
		case store.TypeSet:
			if written = len(k.Set) > 0; written {
				_, err = mr.SAdd(name, toStrings(k.Set)...)
			}
		case store.TypeZSet:
			written = len(k.ZSet) > 0
			for _, z := range k.ZSet {
				score, perr := store.ParseScore(z.Score)
				if perr != nil {
					return skipped, fmt.Errorf("embedded: key %q: %w", name, perr)
				}
				if _, err = mr.ZAdd(name, score, string(z.Member)); err != nil {
					break
				}
			}
		case store.TypeList:
			if written = len(k.List) > 0; written {
				_, err = mr.RPush(name, toStrings(k.List)...)
			}
		case store.TypeStream:
			written = len(k.Stream) > 0
			for _, e := range k.Stream {
				if _, err = mr.XAdd(name, e.ID, toStrings(e.Fields)); err != nil {
					break
				}
			}
		default:
			return skipped, fmt.Errorf("embedded: key %q has unknown type %q", name, k.Type)
		}
		if err != nil {
			return skipped, fmt.Errorf("embedded: unable to restore key %q: %w", name, err)
		}
		if written && !k.Expires.IsZero() {
			mr.SetTTL(name, k.Expires.Sub(now))
		}
	}
	return skipped, nil
}

func toStrings(bs []store.Bytes) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
