package queue

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The scripts are the .lua files of lua/, each run as: the header
// generated below from the Go constants, lua/lib.lua, then the script.
// Every key a script touches is passed in KEYS (never built inside Lua),
// and its arguments are one JSON object in ARGV[1], decoded with cjson.
//
//go:embed lua/*.lua
var luaFiles embed.FS

// luaConst is a constant shared by Go and Lua: it is defined once, in Go,
// and injected into every script as a local.
type luaConst struct {
	name  string
	value any // int64 or string
}

// luaConsts lists what the scripts may use; lua_test.go checks that the
// scripts see exactly these values.
var luaConsts = []luaConst{
	{"BAND_SHIFT", int64(bandShift)},
	{"PRIO_BREAKING", int64(PrioBreaking)},
	{"PRIO_NORMAL", int64(PrioNormal)},
	{"SEP", valueSep},
	{"RECLAIM_BATCH", int64(reclaimBatch)},
	{"RATE_KEEP_MS", rateKeep.Milliseconds()},
	{"ANSWER_PAUSE", answerPause},
	{"ANSWER_IDLE", answerIdle},
	{"ANSWER_EMPTY", answerEmpty},
	{"ANSWER_CHAT", answerChat},
	{"SLOT_FREE", slotFree},
	{"SLOT_PAID", slotPaid},
	{"STAT_PENDING", statPending},
	{"STAT_MESSAGES", statMessages},
	{"STAT_DELIVERED", statDelivered},
	{"STAT_DROPPED", statDropped},
	{"STAT_RETRIED", statRetried},
	{"STAT_DEAD", statDead},
	{"STAT_RECLAIMED", statReclaimed},
	{"STAT_MIGRATED", statMigrated},
	{"STAT_FLOODS", statFloods},
	{"STAT_AMBIGUOUS", statAmbiguous},
}

// luaHeader declares luaConsts as Lua locals.
func luaHeader() string {
	var b strings.Builder
	b.WriteString("-- Generated from the Go constants of package queue (lua.go).\n")
	for _, c := range luaConsts {
		switch v := c.value.(type) {
		case int64:
			fmt.Fprintf(&b, "local %s = %s\n", c.name, strconv.FormatInt(v, 10))
		case string:
			fmt.Fprintf(&b, "local %s = %q\n", c.name, v)
		default:
			panic("queue: unsupported Lua constant " + c.name)
		}
	}
	return b.String()
}

// loadScript builds the script of lua/<name>.lua.
func loadScript(name string) *redis.Script {
	return redis.NewScript(luaSource(name))
}

func luaSource(name string) string {
	lib, err := luaFiles.ReadFile("lua/lib.lua")
	if err != nil {
		panic("queue: " + err.Error())
	}
	body, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("queue: " + err.Error())
	}
	return luaHeader() + string(lib) + "\n" + string(body)
}

var (
	enqueueScript = loadScript("enqueue")
	claimScript   = loadScript("claim")
	finishScript  = loadScript("finish")
	migrateScript = loadScript("migrate")
	renewScript   = loadScript("renew")
	reserveScript = loadScript("reserve")
	pauseScript   = loadScript("pause")
)

// run runs s with keys and arg encoded as its one JSON argument.
func run(ctx context.Context, rdb redis.Scripter, s *redis.Script, keys []string, arg any) *redis.Cmd {
	b, err := json.Marshal(arg)
	if err != nil {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(fmt.Errorf("queue: unable to encode script arguments: %w", err))
		return cmd
	}
	return s.Run(ctx, rdb, keys, string(b))
}
