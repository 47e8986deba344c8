package bot

import (
	"context"
	"strings"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// command is one bot command. The list below is the only place commands
// are declared: the parser's dispatch, /help, the setMyCommands menu
// (MenuCommands) and the README table (checked by a test) follow from it.
type command struct {
	name    string   // what follows the slash
	aliases []string // other names the parser accepts
	usages  []usage  // the ways of calling it, in the order /help and the README show them
	menu    bool     // shown in the command menu, described by the catalog key "command."+name
	admin   bool     // only for Config.AdminChatIDs (and when an Admin is set)
	changes bool     // changes the chat's settings: in groups, only the group's admins
	run     func(b *Bot, ctx context.Context, r *request, arg string) error
}

// usage is one way of calling a command.
type usage struct {
	// args is the argument synopsis, as in the README ("<tag>", "on|off",
	// "[N] [tag]"); "" for none.
	args string
	// help is the catalog key of its /help line, the text after "/name "
	// (the localized synopsis, then "— what it does"); "" keeps the usage
	// out of /help.
	help string
}

// commands lists every command, in the order of /help and the menu. It is
// filled by init: /help reads it, so an initializer would be a cycle.
var commands []command

// commandsByName finds a command by its name or an alias.
var commandsByName map[string]*command

func init() {
	commands = declareCommands()
	commandsByName = indexCommands(commands)
}

func declareCommands() []command {
	return []command{
		{name: "start", usages: []usage{{}}, menu: true, changes: true, run: (*Bot).cmdStart},
		{name: "subscribe", aliases: []string{"sub"}, usages: []usage{{"<tag>", "help.subscribe_tag"}, {"", "help.subscribe"}},
			menu: true, changes: true, run: (*Bot).cmdSubscribe},
		{name: "unsubscribe", aliases: []string{"unsub"}, usages: []usage{{"<tag>", "help.unsubscribe_tag"}, {}},
			menu: true, changes: true, run: (*Bot).cmdUnsubscribe},
		{name: "mysubs", usages: []usage{{"", "help.mysubs"}}, menu: true, run: (*Bot).cmdMySubsAndChannels},
		{name: "mute", usages: []usage{{"<word or tag>", "help.mute"}, {"", "help.mute_settings"}},
			menu: true, changes: true, run: (*Bot).cmdMute},
		{name: "unmute", usages: []usage{{"<word or tag>", "help.unmute"}}, changes: true, run: (*Bot).cmdUnmute},
		{name: "quiet", usages: []usage{{"<from>-<to> [strict]", "help.quiet"}, {"off", ""}},
			menu: true, changes: true, run: (*Bot).cmdQuiet},
		{name: "digest", usages: []usage{{"<time>", "help.digest"}, {"off", ""}},
			menu: true, changes: true, run: (*Bot).cmdDigest},
		{name: "timezone", usages: []usage{{"<zone>", "help.timezone"}}, changes: true, run: (*Bot).cmdTimezone},
		{name: "breaking", usages: []usage{{"on|off", "help.breaking"}}, menu: true, changes: true, run: (*Bot).cmdBreaking},
		{name: "latest", usages: []usage{{"[N] [tag]", "help.latest"}}, menu: true, run: (*Bot).cmdLatest},
		{name: "search", usages: []usage{{"<words>", "help.search"}}, menu: true, run: (*Bot).cmdSearch},
		{name: "language", aliases: []string{"lang"}, usages: []usage{{"", "help.language"}, {"uk|ru|en", ""}},
			menu: true, changes: true, run: (*Bot).cmdLanguage},
		{name: "channel", usages: []usage{{"@name", "help.channel"}, {"off", ""}, {"", "help.channel_list"}}, run: (*Bot).cmdChannel},
		{name: "help", usages: []usage{{}}, menu: true, run: (*Bot).cmdHelp},
		{name: "stop", usages: []usage{{"", "help.stop"}}, menu: true, changes: true, run: (*Bot).cmdStop},
		{name: "stats", usages: []usage{{"", "help.stats"}}, admin: true, run: (*Bot).cmdStats},
		{name: "broadcast", usages: []usage{{"<text>", "help.broadcast"}}, admin: true, run: (*Bot).cmdBroadcast},
	}
}

func indexCommands(cmds []command) map[string]*command {
	m := map[string]*command{}
	for i := range cmds {
		c := &cmds[i]
		for _, n := range append([]string{c.name}, c.aliases...) {
			if m[n] != nil {
				panic("bot: command " + n + " is declared twice")
			}
			m[n] = c
		}
	}
	return m
}

// MenuCommands returns the command menu (setMyCommands) in lang: the
// public commands marked for the menu, in declaration order, described by
// the catalog.
func MenuCommands(cat *i18n.Catalog, lang news.Lang) []telegram.Command {
	var cmds []telegram.Command
	for _, c := range commands {
		if c.menu && !c.admin {
			cmds = append(cmds, telegram.Command{Command: c.name, Description: cat.T(lang, "command."+c.name)})
		}
	}
	return cmds
}

// helpText is /help in lang: a header, one line per usage that has a help
// key (public commands, then the admin ones when admin is set) and a
// footer.
func helpText(cat *i18n.Catalog, lang news.Lang, admin bool) string {
	lines := func(admin bool) []string {
		var out []string
		for _, c := range commands {
			for _, u := range c.usages {
				if c.admin == admin && u.help != "" {
					out = append(out, "/"+c.name+" "+cat.T(lang, u.help))
				}
			}
		}
		return out
	}
	text := cat.T(lang, "help.header") + "\n" + strings.Join(lines(false), "\n") + "\n\n" + cat.T(lang, "help.footer")
	if admin {
		text += "\n\n" + cat.T(lang, "help.admin_header") + "\n" + strings.Join(lines(true), "\n")
	}
	return text
}
