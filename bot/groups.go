package bot

import (
	"strings"

	"newsbot/internal/telegram"
)

// ignoredInGroup reports whether a command in chat goes unanswered: in a
// group, a plain command ("/foo", not "/foo@thisbot") that the bot does not
// know is meant for another bot or for people, and gets no reply.
func ignoredInGroup(chat *telegram.Chat, command string, addressed bool) bool {
	return !chat.IsPrivate() && !addressed && commandsByName[strings.ToLower(command)] == nil
}

// groupName is how a greeting names a group: its title, shortened, or 👋
// when it has none.
func groupName(title string) string {
	if t := strings.TrimSpace(title); t != "" {
		return truncateWords(t, 64)
	}
	return "👋"
}
