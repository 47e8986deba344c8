package config

import (
	"strings"
	"testing"
	"time"
)

func TestStoryRetention(t *testing.T) {
	c, err := Load(env(map[string]string{"TELEGRAM_BOT_TOKEN": goodToken}))
	if err != nil || c.StoryRetention != 30*24*time.Hour {
		t.Errorf("default STORY_RETENTION = %v, %v; want 720h", c.StoryRetention, err)
	}
	c, err = Load(env(map[string]string{"TELEGRAM_BOT_TOKEN": goodToken, "STORY_RETENTION": "1440h"}))
	if err != nil || c.StoryRetention != 60*24*time.Hour {
		t.Errorf("STORY_RETENTION=1440h gives %v, %v", c.StoryRetention, err)
	}
	_, err = Load(env(map[string]string{"TELEGRAM_BOT_TOKEN": goodToken, "STORY_RETENTION": "1h"}))
	if err == nil || !strings.Contains(err.Error(), "STORY_RETENTION") {
		t.Errorf("STORY_RETENTION=1h gives %v; want an error naming the variable", err)
	}
}
