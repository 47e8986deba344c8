package queue

import (
	"context"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// The scripts see exactly the Go constants: each is read back from Lua, on
// both backends, through the header every script is built with.
func TestLuaConstantsMatchGo(t *testing.T) {
	var ret []string
	for _, c := range luaConsts {
		ret = append(ret, "tostring("+c.name+")")
	}
	src := luaHeader() + "return {" + strings.Join(ret, ", ") + "}"
	var want []string
	for _, c := range luaConsts {
		switch v := c.value.(type) {
		case int64:
			want = append(want, strconv.FormatInt(v, 10))
		case string:
			want = append(want, v)
		}
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		got, err := redis.NewScript(src).Run(context.Background(), b.start(t), nil).StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		// Lua 5.1 prints integers up to 2^53 in full only below 1e14;
		// BAND_SHIFT (4.4e12) is below, and exact.
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("constants seen by Lua (-want +got):\n%s", diff)
		}
	})
	// The values the scripts rely on, as Go defines them.
	if bandShift != 1<<42 || PrioBreaking != 0 || PrioNormal != 1 {
		t.Errorf("bands: shift %d, breaking %d, normal %d", bandShift, PrioBreaking, PrioNormal)
	}
}

// The shared constants are written nowhere else: a script spells no band
// shift, no counter name and no separator of its own.
func TestLuaScriptsUseTheSharedConstants(t *testing.T) {
	literals := []string{strconv.FormatInt(bandShift, 10), "'|'", `"|"`}
	for _, c := range luaConsts {
		if s, ok := c.value.(string); ok && len(s) > 1 {
			literals = append(literals, "'"+s+"'", `"`+s+`"`)
		}
	}
	for name, src := range luaSources(t) {
		src = stripComments(src)
		for _, l := range literals {
			if strings.Contains(src, l) {
				t.Errorf("%s spells %s instead of its constant", name, l)
			}
		}
	}
}

var (
	// builtKey matches a redis.call whose key (first argument after the
	// command) is built with '..'.
	builtKey = regexp.MustCompile(`redis\.call\('[A-Z]+',\s*[^,)]*\.\.`)
	argvUse  = regexp.MustCompile(`ARGV\[[^\]]*\]`)
	keysUse  = regexp.MustCompile(`KEYS\[(\d+)\]`)
	keysDoc  = regexp.MustCompile(`(?m)^-- KEYS: ([^.]*)\.`)
)

// Every key is passed in KEYS: no script builds a key name, reads any ARGV
// but the one JSON argument (decoded in lib.lua), or uses a KEYS index its
// header does not document.
func TestLuaScriptsTakeTheirKeysInKEYS(t *testing.T) {
	for _, bad := range []string{`redis.call('GET', P .. ':pause')`, `redis.call('HGET', KEYS[1] .. chat, f)`} {
		if !builtKey.MatchString(bad) {
			t.Fatalf("the check misses %s", bad)
		}
	}
	for name, src := range luaSources(t) {
		for _, line := range strings.Split(stripComments(src), "\n") {
			if builtKey.MatchString(line) {
				t.Errorf("%s builds a key: %s", name, strings.TrimSpace(line))
			}
		}
		for _, m := range argvUse.FindAllString(stripComments(src), -1) {
			if name != "lib.lua" || m != "ARGV[1]" {
				t.Errorf("%s reads %s; arguments come in the JSON of ARGV[1]", name, m)
			}
		}
		if name == "lib.lua" {
			continue
		}
		doc := keysDoc.FindStringSubmatch(src)
		if doc == nil {
			t.Errorf("%s does not document its KEYS", name)
			continue
		}
		declared := len(strings.Split(doc[1], ","))
		for _, m := range keysUse.FindAllStringSubmatch(src, -1) {
			if n, _ := strconv.Atoi(m[1]); n < 1 || n > declared {
				t.Errorf("%s uses KEYS[%d] but documents %d keys", name, n, declared)
			}
		}
	}
}

var luaComment = regexp.MustCompile(`--.*`)

// stripComments removes Lua comments (no script has "--" in a string).
func stripComments(src string) string { return luaComment.ReplaceAllString(src, "") }

func luaSources(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	names, err := fs.Glob(luaFiles, "lua/*.lua")
	if err != nil || len(names) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, n := range names {
		b, err := luaFiles.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(n, "lua/")] = string(b)
	}
	return out
}
