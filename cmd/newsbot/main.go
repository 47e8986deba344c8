// Command newsbot is a Telegram bot that follows Ukrainska Pravda and tells
// readers, in their language, about the stories they care about.
package main

import (
	"os"
	_ "time/tzdata" // Europe/Kyiv in containers without a time zone database

	"newsbot/internal/app"
)

func main() {
	os.Exit(app.Main())
}
